//! Runs the built `railway-deploy` binary exactly as the Actions runner would: `INPUT_*`
//! variables (every input the test leaves out arriving as its `action.yml` default, as
//! actions/runner merges the definition's defaults into the step's inputs), an event file, temp
//! `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`, and nothing else from the test process's environment.

use std::collections::BTreeMap;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: BTreeMap<String, String>,
    pub summary: String,
    pub output_file: String,
}

impl Run {
    pub fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn log(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// The GitHub token [`Runner::with_github`] passes.
pub const GITHUB_TOKEN: &str = "ghs_e2eGitHubTokenNeverShown42";

pub struct Runner {
    pub dir: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
    pub args: Vec<String>,
    /// The working directory (the runner's workspace); the test process's when `None`.
    pub cwd: Option<std::path::PathBuf>,
}

impl Runner {
    /// Writes `files` (name, SQL) into a `migrations` folder of the run's temp dir, and returns its
    /// path for the `migrations` input.
    pub fn write_migrations(&self, files: &[(&str, &str)]) -> String {
        let dir = self.dir.path().join("migrations");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, sql) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, sql).unwrap();
        }
        dir.to_string_lossy().into_owned()
    }

    /// A push to `main` of commit `abc1234…`, in Actions, against `api_url`.
    pub fn new(api_url: &str) -> Runner {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_REF_TYPE", "branch"),
            ("GITHUB_SHA", "abc1234def5678abc1234def5678abc1234def56"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("INPUT_RAILWAY-API-URL", api_url),
            ("INPUT_RAILWAY-TOKEN", "tok-staging"),
            ("INPUT_SERVICE", "web"),
            ("INPUT_SOURCE", "commit"),
            ("INPUT_WAIT-FOR-CHECKS", "false"),
            ("INPUT_GITHUB-DEPLOYMENT", "false"),
            ("INPUT_COMMENT", "false"),
            ("RAILWAY_DEPLOY_TIME_SCALE", "0.001"),
        ] {
            env.insert(k.to_string(), v.to_string());
        }
        // The deployed "app" is the fake's loopback health endpoint.
        let origin = api_url.trim_end_matches("/graphql/v2");
        env.insert("INPUT_HEALTH-URL".into(), format!("{origin}/app/health"));
        Runner {
            dir,
            env,
            args: Vec::new(),
            cwd: None,
        }
    }

    /// Points the run at a (fake) GitHub API at `url` with token `gh-token`, and turns on the
    /// three GitHub-facing inputs `wait-for-checks`, `github-deployment` and `comment`.
    pub fn with_github(&mut self, url: &str) -> &mut Self {
        self.set("GITHUB_API_URL", url)
            .input("github-token", GITHUB_TOKEN)
            .input("wait-for-checks", "true")
            .input("github-deployment", "true")
            .input("comment", "true")
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.insert(k.to_string(), v.to_string());
        self
    }

    /// Removes `k`; for an input, that is the workflow leaving it out: in Actions it then arrives
    /// as its `action.yml` default (see [`Runner::environment`]).
    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.env.remove(k);
        self
    }

    pub fn input(&mut self, name: &str, v: &str) -> &mut Self {
        self.set(&format!("INPUT_{}", name.to_ascii_uppercase()), v)
    }

    pub fn arg(&mut self, a: &str) -> &mut Self {
        self.args.push(a.to_string());
        self
    }

    /// Writes `json` as the event payload.
    pub fn event(&mut self, name: &str, json: &str) -> &mut Self {
        let path = self.dir.path().join("event.json");
        std::fs::write(&path, json).expect("write event");
        self.set("GITHUB_EVENT_NAME", name);
        let p = path.to_string_lossy().into_owned();
        self.set("GITHUB_EVENT_PATH", &p)
    }

    /// The variables the binary gets: in Actions (`GITHUB_ACTIONS=true`), every input left out
    /// as its `action.yml` default, then what the test set; on the command line, only the latter.
    pub fn environment(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        if self.env.get("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
            env = action_defaults();
        }
        env.extend(self.env.clone());
        env
    }

    pub async fn run(&self) -> Run {
        let output_path = self.dir.path().join("output");
        let summary_path = self.dir.path().join("summary.md");
        let _ = std::fs::remove_file(&output_path);
        let _ = std::fs::remove_file(&summary_path);
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_railway-deploy"));
        cmd.env_clear()
            .envs(self.environment())
            .env("GITHUB_OUTPUT", &output_path)
            .env("GITHUB_STEP_SUMMARY", &summary_path)
            .args(&self.args);
        if let Some(cwd) = &self.cwd {
            cmd.current_dir(cwd);
        }
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
            .await
            .expect("the binary finished within 60s")
            .expect("run binary");
        let output_file = std::fs::read_to_string(&output_path).unwrap_or_default();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: parse_outputs(&output_file),
            summary: std::fs::read_to_string(&summary_path).unwrap_or_default(),
            output_file,
        }
    }
}

/// `INPUT_<NAME>` (hyphens kept) = `default:` for every input `action.yml` gives a default, as the
/// runner passes them for a step whose `with:` leaves them out. `${{ github.token }}` evaluates to
/// the job's token; these runs have no GitHub unless [`Runner::with_github`] adds one (which sets
/// the token), so it evaluates to empty here, which the action reads as "not given".
pub fn action_defaults() -> BTreeMap<String, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    let text = std::fs::read_to_string(&path).expect("action.yml");
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("action.yml is YAML");
    let inputs = docs[0]["inputs"].as_hash().expect("action.yml has inputs");
    let mut env = BTreeMap::new();
    for (name, spec) in inputs {
        let (Some(name), Some(default)) = (name.as_str(), spec["default"].as_str()) else {
            continue;
        };
        let value = if default == "${{ github.token }}" {
            ""
        } else {
            assert!(
                !default.contains("${{"),
                "{name}: evaluate `{default}` here"
            );
            default
        };
        env.insert(
            format!("INPUT_{}", name.to_ascii_uppercase()),
            value.to_string(),
        );
    }
    env
}

/// Parses the `name<<DELIM\nvalue\nDELIM` format.
pub fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((name, delim)) = line.split_once("<<") else {
            continue;
        };
        let mut value = Vec::new();
        for l in lines.by_ref() {
            if l == delim {
                break;
            }
            value.push(l);
        }
        map.insert(name.to_string(), value.join("\n"));
    }
    map
}
