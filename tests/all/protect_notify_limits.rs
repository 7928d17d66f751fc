//! The notification bodies against their services' rules: Slack's mrkdwn control characters
//! escaped (text, link text and the `&` of link URLs) and long sections cut between links;
//! Discord's documented limits (content, title, description, field count and sizes, 6000 in
//! all) kept by truncating, never by failing.

use railway_deploy::notify::format;

use crate::protect_notify::rolled_back;

/// Every string of a Slack body, wherever it sits.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn slack_text_and_links_escape_its_control_characters() {
    let mut n = rolled_back();
    n.report.services[0].name = "web & <api>".into();
    n.report.environment = Some("prod&eu".into());
    let body = format::slack(&n);
    let mut all = Vec::new();
    strings(&body, &mut all);
    for s in all.iter().filter(|s| *s != "mrkdwn" && *s != "section") {
        for (i, _) in s.match_indices('&') {
            let rest = &s[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "a raw `&` in {s:?}"
            );
        }
    }
    let text = body.to_string();
    assert!(
        text.contains(
            "<https://railway.com/project/prj-1/service/svc-web?environmentId=env-1&amp;id=dep-web-2|deployment dep-web-2>"
        ),
        "{text}"
    );
    assert!(
        text.contains("<https://web.up.railway.app|web &amp; &lt;api&gt;>"),
        "{text}"
    );
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("`web &amp; &lt;api&gt;`"),
        "{text}"
    );
}

#[test]
fn slack_cuts_long_text_outside_its_links() {
    let mut n = rolled_back();
    let base = n.report.services[0].clone();
    n.report.services = (0..60)
        .map(|i| {
            let mut s = base.clone();
            s.name = format!("service-{i}");
            s
        })
        .collect();
    let body = format::slack(&n);
    let services = body["blocks"][2]["text"]["text"].as_str().unwrap();
    assert!(services.chars().count() <= 3000, "{}", services.len());
    assert!(services.ends_with('…'), "{services}");
    assert_eq!(
        services.matches('<').count(),
        services.matches('>').count(),
        "a link cut in two: {services}"
    );
}

#[test]
fn discord_bodies_stay_within_discords_limits() {
    let mut n = rolled_back();
    let base = n.report.services[0].clone();
    n.report.services = (0..40)
        .map(|i| {
            let mut s = base.clone();
            s.name = format!("{i}-{}", "n".repeat(300));
            s.url = Some(format!("https://{}.example", "u".repeat(1200)));
            s
        })
        .collect();
    n.report.failure = Some("x".repeat(10_000));
    let body = format::discord(&n);
    let len = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.chars().count());
    assert!(len(&body["content"]) <= 2000);
    let embed = &body["embeds"][0];
    assert!(len(&embed["title"]) <= 256);
    assert!(len(&embed["description"]) <= 4096);
    let fields = embed["fields"].as_array().unwrap();
    assert!(fields.len() <= 25, "{} fields", fields.len());
    let mut total = len(&embed["title"]) + len(&embed["description"]);
    for f in fields {
        assert!(len(&f["name"]) <= 256 && len(&f["value"]) <= 1024, "{f}");
        total += len(&f["name"]) + len(&f["value"]);
    }
    assert!(total <= 6000, "the embed holds {total} characters");
    let more = &fields[fields.len() - 2];
    assert!(
        more["value"]
            .as_str()
            .unwrap()
            .ends_with("more service(s) not shown"),
        "{more}"
    );
    assert_eq!(fields.last().unwrap()["name"], "Rollback");
}

#[test]
fn discord_messages_ping_no_one() {
    let mut n = rolled_back();
    n.report.services[0].name = "@everyone".into();
    let body = format::discord(&n);
    assert!(body["content"].as_str().unwrap().contains("@everyone"));
    assert_eq!(body["allowed_mentions"], serde_json::json!({ "parse": [] }));
}
