//! Owns the table of the rules this action flags: squawk's rule names, mapped onto the contract's
//! two classes (Migration safety), and whether each applies to MySQL/MariaDB. Every other squawk
//! rule (style, timeouts, types) is not a finding here.

use crate::record::Class;

/// One rule: squawk's name, the class, what it means, and whether MySQL/MariaDB has the case.
pub struct RuleSpec {
    pub name: &'static str,
    pub class: Class,
    pub what: &'static str,
    pub mysql: bool,
}

const fn rule(name: &'static str, class: Class, what: &'static str, mysql: bool) -> RuleSpec {
    RuleSpec {
        name,
        class,
        what,
        mysql,
    }
}

/// The rules, in the contract's order. `ban-truncate` is this action's own name for a plain
/// `TRUNCATE` (squawk only flags `TRUNCATE ... CASCADE`, as `ban-truncate-cascade`).
pub const RULES: &[RuleSpec] = &[
    rule("ban-drop-table", Class::Destructive, "drops a table", true),
    rule(
        "ban-drop-column",
        Class::Destructive,
        "drops a column",
        true,
    ),
    rule(
        "ban-drop-schema",
        Class::Destructive,
        "drops a schema",
        true,
    ),
    rule(
        "ban-drop-database",
        Class::Destructive,
        "drops a database",
        true,
    ),
    rule(
        "renaming-table",
        Class::Destructive,
        "renames a table",
        true,
    ),
    rule(
        "renaming-column",
        Class::Destructive,
        "renames a column",
        true,
    ),
    rule(
        "changing-column-type",
        Class::Destructive,
        "changes a column's type",
        true,
    ),
    rule(
        "adding-required-field",
        Class::Destructive,
        "adds a NOT NULL column without a default",
        true,
    ),
    rule(
        "ban-truncate-cascade",
        Class::Destructive,
        "truncates tables, and every table referencing them",
        false,
    ),
    rule(
        "ban-truncate",
        Class::Destructive,
        "truncates a table",
        true,
    ),
    rule(
        "require-concurrent-index-creation",
        Class::Locking,
        "builds an index without CONCURRENTLY",
        false,
    ),
    rule(
        "constraint-missing-not-valid",
        Class::Locking,
        "adds a constraint without NOT VALID",
        false,
    ),
    rule(
        "adding-not-nullable-field",
        Class::Locking,
        "sets NOT NULL on an existing column",
        true,
    ),
    rule(
        "adding-foreign-key-constraint",
        Class::Locking,
        "adds a foreign key",
        true,
    ),
];

/// The rule named `name`, when this action flags it.
pub fn find(name: &str) -> Option<&'static RuleSpec> {
    RULES.iter().find(|r| r.name == name)
}
