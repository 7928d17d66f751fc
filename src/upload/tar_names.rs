//! Owns how entries are named inside the upload's tar: `./<relative path>` as `tar czf - .`
//! names them, with GNU long-name / long-link entries for names over 100 bytes.

use std::io::{self, Read, Write};
use std::path::Path;

use tar::{EntryType, Header};

/// The member name of an entry: `./<rel>` with `/` separators, and a trailing `/` for a directory,
/// as `tar czf - .` names them. (The `tar` crate's own path setter drops the leading `./`, which
/// is why names are written here; everything else about the format is the crate's.)
pub(super) fn member_name(rel: &Path, dir: bool) -> Vec<u8> {
    let mut name = b".".to_vec();
    for c in rel.components() {
        name.push(b'/');
        name.extend_from_slice(&os_bytes(c.as_os_str()));
    }
    if dir {
        name.push(b'/');
    }
    name
}

#[cfg(unix)]
pub(super) fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
pub(super) fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().replace('\\', "/").into_bytes()
}

/// Bytes of a GNU header's name / link-name field.
const NAME_FIELD: usize = 100;

/// Emits a GNU long-name (`L`) or long-link (`K`) entry when `value` does not fit its field, and
/// returns what goes in the field itself.
fn long_field<W: Write>(tar: &mut tar::Builder<W>, kind: u8, value: &[u8]) -> io::Result<Vec<u8>> {
    if value.len() <= NAME_FIELD {
        return Ok(value.to_vec());
    }
    let mut ext = Header::new_gnu();
    ext.as_gnu_mut()
        .map(|g| g.name[..13].copy_from_slice(b"././@LongLink"))
        .ok_or_else(|| io::Error::other("a GNU header is always GNU"))?;
    ext.set_mode(0o644);
    ext.set_uid(0);
    ext.set_gid(0);
    ext.set_mtime(0);
    ext.set_size(value.len() as u64 + 1);
    ext.set_entry_type(EntryType::new(kind));
    ext.set_cksum();
    let mut data = value.to_vec();
    data.push(0);
    tar.append(&ext, data.as_slice())?;
    Ok(value[..NAME_FIELD].to_vec())
}

/// Appends one entry named `name` (bytes, any length), with an optional link target.
pub(super) fn append_named<W: Write, R: Read>(
    tar: &mut tar::Builder<W>,
    header: &mut Header,
    name: &[u8],
    link: Option<&[u8]>,
    data: R,
) -> io::Result<()> {
    let field = long_field(tar, b'L', name)?;
    let link_field = match link {
        Some(l) => Some(long_field(tar, b'K', l)?),
        None => None,
    };
    let gnu = header
        .as_gnu_mut()
        .ok_or_else(|| io::Error::other("a GNU header is always GNU"))?;
    gnu.name = [0; NAME_FIELD];
    gnu.name[..field.len()].copy_from_slice(&field);
    gnu.linkname = [0; NAME_FIELD];
    if let Some(l) = link_field {
        gnu.linkname[..l.len()].copy_from_slice(&l);
    }
    header.set_cksum();
    tar.append(header, data)
}
