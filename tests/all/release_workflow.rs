//! `.github/workflows/release.yml` (also linted by `.ci/run` with zizmor and action-validator):
//! it moves no tag (no force, no re-tag, no deletion), builds both architectures on a standard
//! runner, pins the pushed image's digest in the release commit's `action.yml`, and tags that
//! commit once, only after refusing a tag that exists.

use yaml_rust2::{Yaml, YamlLoader};

fn release() -> (String, Yaml) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows/release.yml");
    let text = std::fs::read_to_string(path).unwrap();
    let yaml = YamlLoader::load_from_str(&text).unwrap().remove(0);
    (text, yaml)
}

/// Every `run:` script of the workflow, joined.
fn scripts(wf: &Yaml) -> String {
    let mut out = String::new();
    for (_, job) in wf["jobs"].as_hash().unwrap() {
        for step in job["steps"].as_vec().unwrap() {
            if let Some(run) = step["run"].as_str() {
                out.push_str(run);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn the_release_moves_no_tag() {
    let (_, wf) = release();
    let run = scripts(&wf);
    for line in run.lines().map(str::trim).filter(|l| l.starts_with("git ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for forbidden in [
            "-f",
            "--force",
            "--force-with-lease",
            "-d",
            "--delete",
            "--mirror",
        ] {
            assert!(!words.contains(&forbidden), "`{line}` may move a tag");
        }
        assert!(!line.contains("+refs/"), "`{line}` force-pushes a ref");
        if words.get(1) == Some(&"push") {
            assert!(
                line.contains("refs/tags/\"$VERSION\"") || line.contains("\"refs/tags/$VERSION\""),
                "`{line}` pushes something else than the new release tag"
            );
        }
    }
    assert_eq!(run.matches("git tag").count(), 1, "one tag per release");
    // The tag is looked up before anything is built or pushed.
    assert!(run.contains("git/ref/tags/$VERSION"), "{run}");
}

#[test]
fn the_image_is_multi_arch_on_a_standard_runner_and_pinned_by_digest() {
    let (_, wf) = release();
    for (name, job) in wf["jobs"].as_hash().unwrap() {
        let runner = job["runs-on"].as_str().unwrap_or_default();
        assert_eq!(
            runner, "ubuntu-latest",
            "{name:?}: no arm (or other) runner needed"
        );
    }
    let image = &wf["jobs"]["image"];
    assert_eq!(image["runs-on"].as_str(), Some("ubuntu-latest"));
    let steps = image["steps"].as_vec().unwrap();
    let uses = |prefix: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
    };
    assert!(uses("docker/setup-qemu-action@").is_some());
    let build = uses("docker/build-push-action@").expect("a build");
    assert_eq!(
        build["with"]["platforms"].as_str(),
        Some("linux/amd64,linux/arm64")
    );
    let on = &wf["on"];
    assert_eq!(on["push"]["branches"][0].as_str(), Some("main"));
    assert!(
        on["push"]["tags"].is_badvalue(),
        "a pushed tag starts nothing"
    );
    let run = scripts(&wf);
    assert!(
        run.contains("image: docker://$IMAGE@$DIGEST"),
        "the release commit pins the digest: {run}"
    );
    assert!(
        run.contains("sha256:"),
        "a missing digest stops the release"
    );
}
