//! The command line, as clap definitions and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use alertlint::output::FormatRequest;

/// Proves that failures of critical GitHub Actions workflows reach a person
/// (SOC 2 control SOC2-09, critical failure alerting), or shows where they do not.
#[derive(Debug, Parser)]
#[command(name = "alertlint", version, about, long_about = None)]
pub struct Cli {
    /// Log what alertlint does to stderr (-v: info, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge the SOC2-09 control for a repository.
    Check(CheckArgs),
    /// Print a rule's title, severity, rationale and remediation.
    Explain {
        /// A rule id such as `missing-failure-alert`; leave out to list all rules.
        rule: Option<String>,
    },
    /// Print the config's JSON Schema, or check a config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a completion script for a shell, e.g. `alertlint completions bash`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `alertlint man > alertlint.1`.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of `.github/alertlint.yml`, for editors and other validators.
    Schema,
    /// Check a config file: unknown keys, wrong types and unusable exceptions, with their line.
    Check {
        /// The config file to check.
        #[arg(default_value = ".github/alertlint.yml")]
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The repository root to judge.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Output format, optionally to a file: `human`, `json`, `sarif`, `github`, `markdown`
    /// or `junit`, e.g. `sarif=alertlint.sarif`. Repeat to write several; `-` as the path
    /// means stdout. Unless a format goes to stdout, the human report goes there.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=PATH]")]
    pub formats: Vec<FormatRequest>,

    /// Promise no network use: only what the files show is judged, and the online checks
    /// are listed as skipped without making the control unverified.
    #[arg(long)]
    pub offline: bool,

    /// Read the GitHub token from this environment variable instead of GH_TOKEN or
    /// GITHUB_TOKEN.
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,

    /// The GitHub repository to ask about; by default GITHUB_REPOSITORY, else the
    /// `origin` remote of the scanned clone.
    #[arg(long = "repo", value_name = "OWNER/NAME")]
    pub repository: Option<String>,

    /// The GitHub API to ask; by default GITHUB_API_URL, else https://api.github.com.
    /// For GitHub Enterprise Server: https://HOST/api/v3.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,

    /// Longest wait, in seconds, for a GitHub rate limit to reset before an online check
    /// gives up as unverified.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub rate_limit_wait: u64,

    /// Longest time, in seconds, one request to the GitHub API may take, connection and
    /// answer included; a request that takes longer is tried again, then counts as no
    /// answer and leaves its check unverified.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = alertlint::online::DEFAULT_REQUEST_TIMEOUT_SECONDS,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub request_timeout: u64,

    /// Treat workflows matching this path or glob as critical (repeatable). Adds to the
    /// config's `critical:`; with neither, every scheduled workflow is critical.
    #[arg(long = "critical", value_name = "GLOB")]
    pub critical: Vec<String>,

    /// Read the config from this file instead of `.github/alertlint.yml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Files larger than this many bytes are reported and not parsed.
    #[arg(long, value_name = "BYTES", default_value_t = alertlint::repo::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_size: u64,

    /// When to colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Which findings make the exit code non-zero: open errors (and an unverified
    /// control), also open warnings, or nothing but a tool error.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    /// The SARIF `automationDetails.id`, which GitHub code scanning uses as the category;
    /// defaults to `alertlint/` followed by the scanned folder.
    #[arg(long, value_name = "CATEGORY")]
    pub sarif_category: Option<String>,

    /// Do not append the markdown summary to `$GITHUB_STEP_SUMMARY`.
    #[arg(long)]
    pub no_step_summary: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
