//! Owns where the upload's spool file is created: the first writable directory of an ordered
//! list (from the configuration: `RUNNER_TEMP`, `TMPDIR`, the system temp dir, the workspace), so
//! an image without `/tmp` still uploads. The error names every directory tried and why it failed.

use std::io;
use std::path::PathBuf;

/// Creates the spool file (deleted when dropped) in the first directory that accepts it.
pub fn create(dirs: &[PathBuf]) -> io::Result<tempfile::NamedTempFile> {
    let mut tried = Vec::new();
    for dir in dirs {
        match tempfile::Builder::new()
            .prefix(".railway-deploy-upload-")
            .tempfile_in(dir)
        {
            Ok(file) => return Ok(file),
            Err(e) => tried.push(format!("{} ({e})", dir.display())),
        }
    }
    let tried = if tried.is_empty() {
        "no directory was configured".to_string()
    } else {
        format!("tried {}", tried.join(", "))
    };
    Err(io::Error::other(format!(
        "cannot create the upload spool file: {tried}; set RUNNER_TEMP or TMPDIR to a writable directory"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_past_missing_and_unwritable_dirs() {
        let ok = tempfile::tempdir().unwrap();
        let missing = ok.path().join("no-such-dir");
        // A regular file is not a directory: creating a file under it fails even for root, which
        // ignores permission bits.
        let not_a_dir = ok.path().join("a-file");
        std::fs::write(&not_a_dir, b"x").unwrap();
        let spool = create(&[missing, not_a_dir, ok.path().to_path_buf()]).unwrap();
        assert_eq!(spool.path().parent(), Some(ok.path()));
    }

    #[test]
    fn the_error_names_every_directory_tried() {
        let base = tempfile::tempdir().unwrap();
        let a = base.path().join("missing-a");
        let b = base.path().join("missing-b");
        let e = create(&[a.clone(), b.clone()]).unwrap_err().to_string();
        assert!(e.contains(&a.display().to_string()), "{e}");
        assert!(e.contains(&b.display().to_string()), "{e}");
        assert!(e.contains("RUNNER_TEMP"), "{e}");
        assert!(
            create(&[])
                .unwrap_err()
                .to_string()
                .contains("no directory")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_dir_is_skipped_when_permissions_apply() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let ro = base.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let ok = base.path().join("ok");
        std::fs::create_dir(&ok).unwrap();
        // Root ignores the mode bits: then the first directory is writable after all.
        let probe = ro.join("probe");
        let root_writes = std::fs::write(&probe, b"").is_ok();
        let _ = std::fs::remove_file(&probe);
        let spool = create(&[ro.clone(), ok.clone()]).unwrap();
        let want = if root_writes { &ro } else { &ok };
        assert_eq!(spool.path().parent(), Some(want.as_path()));
        drop(spool);
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
