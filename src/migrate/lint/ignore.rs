//! Owns squawk's ignore comments where this action classifies without squawk (MySQL, and a plain
//! `TRUNCATE`): `-- squawk-ignore <rule>[, <rule>...]` (or `/* ... */`) on the lines right above a
//! statement names the rules not flagged for it; `-- squawk-ignore-file` anywhere ignores every
//! rule in the file; `-- squawk-ignore` alone, every rule of the next statement.

use std::collections::BTreeSet;

/// What the comments above the statement starting at byte `start` ignore: rule names, or `*`
/// for every rule.
pub fn ignored_before(text: &str, start: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = directive(line).and_then(|d| d.strip_prefix("squawk-ignore-file")) {
            add(&mut names, rest);
        }
    }
    let before = text.get(..start).unwrap_or(text);
    // The lines above the statement, nearest first, while they are comments or blank.
    for line in before.lines().rev() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(d) = directive(t) else {
            if t.starts_with("--") || t.starts_with("/*") {
                continue;
            }
            break;
        };
        if let Some(rest) = d.strip_prefix("squawk-ignore")
            && !rest.starts_with("-file")
        {
            add(&mut names, rest);
        }
    }
    names
}

/// Whether a rule is ignored by `names`.
pub fn covers(names: &BTreeSet<String>, rule: &str) -> bool {
    names.contains("*") || names.contains(rule)
}

/// The body of a comment line starting with `squawk-ignore`, else `None`.
fn directive(line: &str) -> Option<&str> {
    let t = line.trim();
    let body = t
        .strip_prefix("--")
        .or_else(|| t.strip_prefix("/*").map(|b| b.trim_end_matches("*/")))?
        .trim();
    body.starts_with("squawk-ignore").then_some(body)
}

fn add(names: &mut BTreeSet<String>, rest: &str) {
    // A trailing `-- reason` is not a rule name.
    let rest = rest.split("--").next().unwrap_or_default();
    let mut any = false;
    for n in rest.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        names.insert(n.to_string());
        any = true;
    }
    if !any {
        names.insert("*".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_comments_right_above_a_statement() {
        let sql = "-- squawk-ignore ban-drop-column, renaming-table -- we know\nALTER TABLE a DROP COLUMN b;\nDROP TABLE c;\n";
        let first = ignored_before(sql, sql.find("ALTER").unwrap());
        assert!(covers(&first, "ban-drop-column") && covers(&first, "renaming-table"));
        let second = ignored_before(sql, sql.find("DROP TABLE").unwrap());
        assert!(second.is_empty(), "{second:?}");
        let all = ignored_before("-- squawk-ignore\nDROP TABLE c;", 17);
        assert!(covers(&all, "ban-drop-table"));
        let file = ignored_before(
            "-- squawk-ignore-file ban-truncate\nSELECT 1;\nTRUNCATE t;",
            26,
        );
        assert!(covers(&file, "ban-truncate") && !covers(&file, "ban-drop-table"));
    }
}
