//! Item 6 of the `fidelity:` issue: the first upload streams the archive without
//! `Content-Length`, which no public client does (Railway's CLI sends a buffered body). When
//! Railway refuses it before accepting it (411 here, from the fake's `refuse_unsized`), the spooled
//! archive is sent once more with its length (contract v3, Promises).

use std::fs;

use crate::support::cli::Runner;
use fakes::railway::upload::UploadReply;
use fakes::railway::{FakeRailway, RailwayWorld};

fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("package.json"), "{}").unwrap();
    fs::write(dir.path().join("index.js"), "console.log(1)\n").unwrap();
    dir
}

fn upload_runner(rw: &FakeRailway, dir: &std::path::Path) -> Runner {
    let mut r = Runner::new(&rw.api_url());
    r.unset("INPUT_SOURCE").input("path", dir.to_str().unwrap());
    r
}

#[tokio::test]
async fn an_upload_refused_for_its_missing_length_is_sent_once_more_with_it() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.upload.refuse_unsized();
    let dir = checkout();
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    let uploads = rw.uploads();
    assert_eq!(uploads.len(), 2, "{uploads:?}");
    assert_eq!(uploads[0].header("content-length"), None);
    let len: usize = uploads[1]
        .header("content-length")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(len, uploads[1].body.len());
    assert!(
        run.stdout.contains("sending it once more with its length"),
        "{}",
        run.log()
    );
}

#[tokio::test]
async fn a_400_about_the_encoding_is_sent_once_more_but_other_400s_are_not() {
    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.upload.reply_next(UploadReply::BadRequest(
        "Unsupported transfer encoding".into(),
    ));
    let dir = checkout();
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(rw.uploads().len(), 2);

    let rw = FakeRailway::start(RailwayWorld::standard()).await;
    rw.upload.reply_next(UploadReply::BadRequest(
        "No Dockerfile or start command".into(),
    ));
    let run = upload_runner(&rw, dir.path()).run().await;
    assert_eq!(run.code, 1, "{}", run.log());
    assert_eq!(rw.uploads().len(), 1);
}
