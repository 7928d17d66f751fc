//! Owns naming the rules one MySQL/MariaDB statement breaks, from its tokens (squawk's names, only
//! those MySQL has: `super::super::rules`). Reads the forms that change a schema under a running
//! release — `DROP TABLE/DATABASE/SCHEMA`, `RENAME TABLE`, `TRUNCATE`, and `ALTER TABLE`'s
//! `DROP [COLUMN]`, `RENAME [TO|AS|COLUMN]`, `CHANGE`, `MODIFY`, `ALTER [COLUMN]`, `ADD [COLUMN]`
//! and `ADD … FOREIGN KEY` — and nothing else. A statement that does not start with a MySQL
//! statement keyword, or one of these forms missing a name it needs, is unparseable (`Err`).

use super::tokens::{Kind, Token};

/// The words a MySQL or MariaDB statement starts with (the server's grammar; `(` starts a
/// parenthesised query).
const STARTERS: &[&str] = &[
    "ALTER",
    "ANALYZE",
    "BACKUP",
    "BEGIN",
    "BINLOG",
    "CACHE",
    "CALL",
    "CHANGE",
    "CHECK",
    "CHECKSUM",
    "CLONE",
    "COMMIT",
    "CREATE",
    "DEALLOCATE",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DO",
    "DROP",
    "EXECUTE",
    "EXPLAIN",
    "FLUSH",
    "GET",
    "GRANT",
    "HANDLER",
    "HELP",
    "IMPORT",
    "INSERT",
    "INSTALL",
    "KILL",
    "LOAD",
    "LOCK",
    "OPTIMIZE",
    "PREPARE",
    "PURGE",
    "RELEASE",
    "RENAME",
    "REPAIR",
    "REPLACE",
    "RESET",
    "RESIGNAL",
    "RESTART",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SHOW",
    "SHUTDOWN",
    "SIGNAL",
    "START",
    "STOP",
    "TABLE",
    "TRUNCATE",
    "UNINSTALL",
    "UNLOCK",
    "UPDATE",
    "USE",
    "VALUES",
    "WITH",
    "XA",
];

/// What an `ALTER TABLE … ADD` / `DROP` names when it is not a column.
const NOT_A_COLUMN: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "FOREIGN",
    "CHECK",
    "INDEX",
    "KEY",
    "FULLTEXT",
    "SPATIAL",
    "PARTITION",
    "PERIOD",
    "SYSTEM",
];

/// The rules the statement made of `tokens` (no `;`, at least one token) breaks, in the order of
/// its clauses; `Err` says why it cannot be read.
pub fn rules(tokens: &[Token<'_>]) -> Result<Vec<&'static str>, String> {
    let mut c = Cursor { tokens, at: 0 };
    let Some(first) = c.next() else {
        return Ok(Vec::new());
    };
    if !(first.is_punct('(') || STARTERS.iter().any(|s| first.is(s))) {
        return Err(format!("`{}` does not start a MySQL statement", first.text));
    }
    if first.is("DROP") {
        c.eat("TEMPORARY");
        let rule = if c.eat("TABLE") {
            "ban-drop-table"
        } else if c.eat("DATABASE") {
            "ban-drop-database"
        } else if c.eat("SCHEMA") {
            "ban-drop-schema"
        } else {
            return Ok(Vec::new());
        };
        c.eat_all(&["IF", "EXISTS"]);
        c.object_name(first.text)?;
        Ok(vec![rule])
    } else if first.is("RENAME") && c.eat("TABLE") {
        c.object_name("RENAME TABLE")?;
        c.expect("TO", "RENAME TABLE")?;
        c.object_name("RENAME TABLE … TO")?;
        Ok(vec!["renaming-table"])
    } else if first.is("TRUNCATE") {
        c.eat("TABLE");
        c.object_name("TRUNCATE")?;
        Ok(vec!["ban-truncate"])
    } else if first.is("ALTER") {
        c.eat("ONLINE");
        c.eat("IGNORE");
        if !c.eat("TABLE") {
            return Ok(Vec::new());
        }
        c.eat_all(&["IF", "EXISTS"]);
        c.object_name("ALTER TABLE")?;
        let mut found = Vec::new();
        for op in split_top_level(c.rest()) {
            found.extend(alteration(op)?);
        }
        Ok(found)
    } else {
        Ok(Vec::new())
    }
}

/// The rules one `ALTER TABLE` clause (`tokens`, between commas) breaks.
fn alteration(tokens: &[Token<'_>]) -> Result<Vec<&'static str>, String> {
    let mut c = Cursor { tokens, at: 0 };
    let Some(first) = c.next() else {
        return Err("an empty clause between commas in ALTER TABLE".into());
    };
    let word = |w: &str| first.is(w);
    if word("ADD") {
        add(c)
    } else if word("DROP") {
        let column = c.eat("COLUMN");
        c.eat_all(&["IF", "EXISTS"]);
        if !column && c.peek_any(NOT_A_COLUMN) {
            return Ok(Vec::new());
        }
        c.name("ALTER TABLE … DROP")?;
        Ok(vec!["ban-drop-column"])
    } else if word("RENAME") {
        if c.eat("TO") || c.eat("AS") {
            c.object_name("ALTER TABLE … RENAME TO")?;
            return Ok(vec!["renaming-table"]);
        }
        if c.peek_any(&["INDEX", "KEY"]) {
            return Ok(Vec::new());
        }
        let column = c.eat("COLUMN");
        c.object_name("ALTER TABLE … RENAME")?;
        if column || c.peek_any(&["TO"]) {
            c.expect("TO", "ALTER TABLE … RENAME COLUMN")?;
            c.name("ALTER TABLE … RENAME COLUMN … TO")?;
            Ok(vec!["renaming-column"])
        } else {
            Ok(vec!["renaming-table"])
        }
    } else if word("CHANGE") {
        c.eat("COLUMN");
        let old = c.name("ALTER TABLE … CHANGE")?;
        let new = c.name("ALTER TABLE … CHANGE <old>")?;
        c.data_type("ALTER TABLE … CHANGE <old> <new>")?;
        let mut rules = Vec::new();
        if !old.eq_ignore_ascii_case(&new) {
            rules.push("renaming-column");
        }
        rules.push("changing-column-type");
        if not_null(c.rest()) {
            rules.push("adding-not-nullable-field");
        }
        Ok(rules)
    } else if word("MODIFY") {
        c.eat("COLUMN");
        c.name("ALTER TABLE … MODIFY")?;
        c.data_type("ALTER TABLE … MODIFY <column>")?;
        let mut rules = vec!["changing-column-type"];
        if not_null(c.rest()) {
            rules.push("adding-not-nullable-field");
        }
        Ok(rules)
    } else if word("ALTER") {
        if c.peek_any(&["INDEX", "KEY", "CHECK", "CONSTRAINT"]) {
            return Ok(Vec::new());
        }
        c.eat("COLUMN");
        c.name("ALTER TABLE … ALTER")?;
        if c.eat_all(&["SET", "NOT", "NULL"]) {
            Ok(vec!["adding-not-nullable-field"])
        } else if c.eat_all(&["SET", "DATA", "TYPE"]) || c.eat("TYPE") {
            Ok(vec!["changing-column-type"])
        } else {
            Ok(Vec::new())
        }
    } else {
        Ok(Vec::new())
    }
}

/// `ADD`: a foreign key, or columns added `NOT NULL` with nothing to fill the existing rows.
fn add(mut c: Cursor<'_, '_>) -> Result<Vec<&'static str>, String> {
    if c.eat("CONSTRAINT") {
        if !c.peek_any(NOT_A_COLUMN) {
            c.name("ALTER TABLE … ADD CONSTRAINT")?;
        }
        return Ok(if c.peek_any(&["FOREIGN"]) {
            vec!["adding-foreign-key-constraint"]
        } else {
            Vec::new()
        });
    }
    if c.peek_any(&["FOREIGN"]) {
        return Ok(vec!["adding-foreign-key-constraint"]);
    }
    if c.peek_any(NOT_A_COLUMN) {
        return Ok(Vec::new());
    }
    c.eat("COLUMN");
    c.eat_all(&["IF", "NOT", "EXISTS"]);
    let defs: Vec<&[Token<'_>]> = match c.rest() {
        [open, inner @ .., close] if open.is_punct('(') && close.is_punct(')') => {
            split_top_level(inner)
        }
        rest => vec![rest],
    };
    let mut rules = Vec::new();
    for def in defs {
        let mut d = Cursor { tokens: def, at: 0 };
        d.name("ALTER TABLE … ADD COLUMN")?;
        d.data_type("ALTER TABLE … ADD COLUMN <name>")?;
        let filled = top_level(d.rest()).any(|t| {
            ["DEFAULT", "AUTO_INCREMENT", "GENERATED", "AS"]
                .iter()
                .any(|w| t.is(w))
        });
        if not_null(d.rest()) && !filled && !rules.contains(&"adding-required-field") {
            rules.push("adding-required-field");
        }
    }
    Ok(rules)
}

/// Whether a column definition's options (`tokens`) say `NOT NULL` (outside parentheses).
fn not_null(tokens: &[Token<'_>]) -> bool {
    let top: Vec<&Token<'_>> = top_level(tokens).collect();
    top.windows(2).any(|w| w[0].is("NOT") && w[1].is("NULL"))
}

/// The tokens outside any parentheses.
fn top_level<'t, 'a>(tokens: &'t [Token<'a>]) -> impl Iterator<Item = &'t Token<'a>> {
    let mut depth = 0usize;
    tokens.iter().filter(move |t| {
        if t.is_punct('(') {
            depth += 1;
            false
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
            false
        } else {
            depth == 0
        }
    })
}

/// `tokens` cut at the commas outside parentheses.
fn split_top_level<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut out = Vec::new();
    let mut level = 0usize;
    let mut from = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct('(') {
            level += 1;
        } else if t.is_punct(')') {
            level = level.saturating_sub(1);
        } else if t.is_punct(',') && level == 0 {
            out.push(tokens.get(from..i).unwrap_or_default());
            from = i + 1;
        }
    }
    if from < tokens.len() || !out.is_empty() {
        out.push(tokens.get(from..).unwrap_or_default());
    }
    out
}

/// Reads a statement's tokens left to right.
struct Cursor<'t, 'a> {
    tokens: &'t [Token<'a>],
    at: usize,
}

impl<'t, 'a> Cursor<'t, 'a> {
    fn peek(&self) -> Option<&'t Token<'a>> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&'t Token<'a>> {
        let t = self.peek()?;
        self.at += 1;
        Some(t)
    }

    fn rest(&self) -> &'t [Token<'a>] {
        self.tokens.get(self.at..).unwrap_or_default()
    }

    fn peek_any(&self, words: &[&str]) -> bool {
        self.peek().is_some_and(|t| words.iter().any(|w| t.is(w)))
    }

    /// Takes the keyword `kw` when it comes next.
    fn eat(&mut self, kw: &str) -> bool {
        let hit = self.peek_any(&[kw]);
        if hit {
            self.at += 1;
        }
        hit
    }

    /// Takes the keywords `kws` when all of them come next, in order.
    fn eat_all(&mut self, kws: &[&str]) -> bool {
        let hit =
            kws.len() <= self.rest().len() && kws.iter().zip(self.rest()).all(|(kw, t)| t.is(kw));
        if hit {
            self.at += kws.len();
        }
        hit
    }

    fn expect(&mut self, kw: &str, after: &str) -> Result<(), String> {
        if self.eat(kw) {
            Ok(())
        } else {
            Err(format!("{after} without {kw}"))
        }
    }

    /// A name (a word or a `` `quoted` `` one).
    fn name(&mut self, after: &str) -> Result<String, String> {
        match self.peek().and_then(Token::name) {
            Some(n) => {
                self.at += 1;
                Ok(n.into_owned())
            }
            None => Err(format!("{after} names nothing")),
        }
    }

    /// A possibly qualified name (`db.table`).
    fn object_name(&mut self, after: &str) -> Result<(), String> {
        self.name(after)?;
        while self.peek().is_some_and(|t| t.is_punct('.')) {
            self.at += 1;
            self.name(after)?;
        }
        Ok(())
    }

    /// A column's type: a word must come next.
    fn data_type(&mut self, after: &str) -> Result<(), String> {
        match self.peek() {
            Some(t) if t.kind == Kind::Word => Ok(()),
            _ => Err(format!("{after} gives no type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tokenize;
    use super::*;

    fn of(sql: &str) -> Result<Vec<&'static str>, String> {
        rules(&tokenize(sql).unwrap())
    }

    #[test]
    fn each_form_and_its_near_misses() {
        let cases: &[(&str, &[&str])] = &[
            ("DROP TABLE IF EXISTS `a b`, c", &["ban-drop-table"]),
            ("drop temporary table t", &["ban-drop-table"]),
            ("DROP DATABASE IF EXISTS d", &["ban-drop-database"]),
            ("DROP SCHEMA s", &["ban-drop-schema"]),
            ("DROP VIEW v", &[]),
            ("DROP INDEX i ON t", &[]),
            ("RENAME TABLE a TO b, c TO d", &["renaming-table"]),
            ("RENAME USER a TO b", &[]),
            ("TRUNCATE TABLE db.t", &["ban-truncate"]),
            ("TRUNCATE t", &["ban-truncate"]),
            ("ALTER TABLE t DROP a", &["ban-drop-column"]),
            (
                "ALTER TABLE t DROP COLUMN IF EXISTS `modify`",
                &["ban-drop-column"],
            ),
            (
                "ALTER TABLE t DROP FOREIGN KEY f, DROP INDEX i, DROP KEY k",
                &[],
            ),
            (
                "ALTER TABLE t DROP PRIMARY KEY, DROP CONSTRAINT c, DROP CHECK c",
                &[],
            ),
            ("ALTER TABLE t DROP COLUMN `index`", &["ban-drop-column"]),
            ("ALTER TABLE t RENAME TO u", &["renaming-table"]),
            ("ALTER TABLE t RENAME AS u", &["renaming-table"]),
            ("ALTER TABLE t RENAME u", &["renaming-table"]),
            ("ALTER TABLE t RENAME COLUMN a TO b", &["renaming-column"]),
            ("ALTER TABLE t RENAME INDEX a TO b", &[]),
            (
                "ALTER TABLE t CHANGE a b int",
                &["renaming-column", "changing-column-type"],
            ),
            (
                "ALTER TABLE t CHANGE COLUMN `a` A bigint",
                &["changing-column-type"],
            ),
            (
                "ALTER TABLE `my table` CHANGE `my col` `my  col` int NOT NULL",
                &[
                    "renaming-column",
                    "changing-column-type",
                    "adding-not-nullable-field",
                ],
            ),
            (
                "ALTER TABLE t MODIFY modify bigint",
                &["changing-column-type"],
            ),
            (
                "ALTER TABLE t MODIFY COLUMN a enum('not', 'null') NOT NULL",
                &["changing-column-type", "adding-not-nullable-field"],
            ),
            (
                "ALTER TABLE t MODIFY a int NULL CHECK (a IS NOT NULL)",
                &["changing-column-type"],
            ),
            ("ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", &[]),
            (
                "ALTER TABLE t ALTER a SET NOT NULL",
                &["adding-not-nullable-field"],
            ),
            (
                "ALTER TABLE t ALTER COLUMN a TYPE bigint",
                &["changing-column-type"],
            ),
            ("ALTER TABLE t ALTER INDEX i INVISIBLE", &[]),
            (
                "ALTER TABLE t ADD COLUMN b int NOT NULL",
                &["adding-required-field"],
            ),
            (
                "ALTER TABLE t ADD b int NOT NULL COMMENT 'x'",
                &["adding-required-field"],
            ),
            ("ALTER TABLE t ADD COLUMN x INT NOT NULL DEFAULT 0", &[]),
            (
                "ALTER TABLE t ADD COLUMN x INT NOT NULL AUTO_INCREMENT",
                &[],
            ),
            ("ALTER TABLE t ADD COLUMN x INT AS (a + 1) NOT NULL", &[]),
            (
                "ALTER TABLE t ADD COLUMN x INT GENERATED ALWAYS AS (a) NOT NULL",
                &[],
            ),
            ("ALTER TABLE t ADD COLUMN `modify` int NULL", &[]),
            ("ALTER TABLE t ADD COLUMN b int COMMENT 'NOT NULL'", &[]),
            (
                "ALTER TABLE t ADD (b int NOT NULL, c int)",
                &["adding-required-field"],
            ),
            ("ALTER TABLE t ADD (b int NOT NULL DEFAULT 1, c int)", &[]),
            (
                "ALTER TABLE t ADD COLUMN IF NOT EXISTS b int NOT NULL",
                &["adding-required-field"],
            ),
            (
                "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id)",
                &["adding-foreign-key-constraint"],
            ),
            (
                "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES p (id)",
                &["adding-foreign-key-constraint"],
            ),
            (
                "ALTER TABLE t ADD CONSTRAINT FOREIGN KEY (a) REFERENCES p (id)",
                &["adding-foreign-key-constraint"],
            ),
            ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", &[]),
            ("ALTER TABLE t ADD INDEX ia (a), ADD UNIQUE KEY u (a)", &[]),
            ("ALTER TABLE t ADD COLUMN b int REFERENCES p (id)", &[]),
            (
                "ALTER TABLE t ENGINE = InnoDB, ALGORITHM = INPLACE, LOCK = NONE",
                &[],
            ),
            (
                "ALTER TABLE t DROP COLUMN a, MODIFY b bigint",
                &["ban-drop-column", "changing-column-type"],
            ),
            ("ALTER ONLINE IGNORE TABLE t DROP a", &["ban-drop-column"]),
            ("ALTER VIEW v AS SELECT 1", &[]),
            ("SELECT 'DROP TABLE t'", &[]),
            (
                "INSERT INTO t (`drop`, `modify`) VALUES ('drop table', 'x')",
                &[],
            ),
            ("CREATE TABLE t (a int NOT NULL, `change` int)", &[]),
            ("CREATE INDEX i ON t (a)", &[]),
            ("(SELECT 1)", &[]),
        ];
        for (sql, want) in cases {
            assert_eq!(of(sql).as_deref(), Ok(*want), "{sql}");
        }
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        for (sql, why) in [
            ("THIS IS NOT SQL", "`THIS` does not start a MySQL statement"),
            ("'DROP TABLE t'", "does not start"),
            ("DELIMITER //", "does not start"),
            ("DROP TABLE", "DROP names nothing"),
            ("RENAME TABLE a b", "without TO"),
            ("TRUNCATE TABLE", "TRUNCATE names nothing"),
            ("ALTER TABLE", "ALTER TABLE names nothing"),
            ("ALTER TABLE t DROP COLUMN", "names nothing"),
            ("ALTER TABLE t CHANGE a", "names nothing"),
            ("ALTER TABLE t CHANGE a b", "gives no type"),
            ("ALTER TABLE t MODIFY a", "gives no type"),
            ("ALTER TABLE t ADD COLUMN b", "gives no type"),
            ("ALTER TABLE t RENAME COLUMN a b", "without TO"),
            ("ALTER TABLE t DROP a,", "empty clause"),
        ] {
            let e = of(sql).unwrap_err();
            assert!(e.contains(why), "{sql}: {e}");
        }
    }
}
