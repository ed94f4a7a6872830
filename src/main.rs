//! The binary: parse arguments, run the command, turn the outcome into an exit code.
//! 0: the control passes; 1: it fails; 2: alertlint could not do its job; 3: unverified.
//! Everything it prints or writes passes through `alertlint::redact` on the way out, and
//! every file goes through `alertlint::atomic_write`.

mod cli;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use alertlint::analysis::{CriticalSelector, analyse};
use alertlint::atomic_write::write_atomically;
use alertlint::config::{Config, ConfigFile};
use alertlint::exceptions;
use alertlint::findings::{Report, Severity, Status};
use alertlint::online;
use alertlint::output::sarif::SarifOptions;
use alertlint::output::{
    Format, FormatRequest, RepoPrefix, github, human, json, junit, markdown, sarif,
};
use alertlint::redact::{RedactingWriter, redact};
use alertlint::repo::{Repository, SourceFile};
use alertlint::rules::Catalogue;
use cli::{CheckArgs, Cli, ColorChoice, Command, ConfigCommand, FailOn};

const EXIT_TOOL_ERROR: u8 = 2;

/// The JSON Schema of `.github/alertlint.yml`, shipped in the repository.
const CONFIG_SCHEMA: &str = include_str!("../schemas/alertlint.schema.json");

fn main() -> ExitCode {
    install_panic_hook();
    // Tool errors are printed without wrapping their lines, so that the redaction on the
    // way out sees every secret whole.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            return match e.use_stderr() {
                true => {
                    print_err(&text);
                    ExitCode::from(EXIT_TOOL_ERROR)
                }
                false => {
                    let _ = print_out(&text);
                    ExitCode::SUCCESS
                }
            };
        }
    };
    init_logging(cli.verbose);
    alertlint::debug_hooks::panic_if_asked();
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Explain { rule } => explain(rule.as_deref()),
        Command::Config(ConfigCommand::Schema) => print(CONFIG_SCHEMA),
        Command::Config(ConfigCommand::Check { file }) => config_check(&file),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
    }
}

/// A panic is a bug, but its message may quote a file or a value: print it redacted, in
/// a few lines instead of a backtrace, and exit as a tool error.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|panic| {
        let message = panic.payload_as_str().unwrap_or("(no message)");
        let place = panic
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        print_err(&format!(
            "alertlint: internal error{place}: {message}\n\
             This is a bug in alertlint, not a problem with your files; please report it.\n"
        ));
        std::process::exit(i32::from(EXIT_TOOL_ERROR));
    }));
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALERTLINT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("alertlint={level}")));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(|| RedactingWriter::new(std::io::stderr()))
        .without_time()
        .try_init();
}

fn check(args: &CheckArgs) -> ExitCode {
    if let Err(e) = check_stdout_formats(&args.formats) {
        return tool_error(miette::miette!("{e}"));
    }
    let mut repo = match Repository::load(&args.path, args.max_file_size) {
        Ok(repo) => repo,
        Err(e) => return tool_error(miette::miette!("{e}")),
    };
    let (config, config_file) =
        match Config::load(&args.path, args.config.as_deref(), args.max_file_size) {
            Ok(loaded) => loaded,
            Err(e) => return tool_error(miette::Report::new(*e)),
        };
    let today = match today() {
        Ok(today) => today,
        Err(e) => return tool_error(miette::miette!("{e}")),
    };
    let mut patterns = config.critical.clone();
    patterns.extend(args.critical.iter().cloned());
    let selector = match CriticalSelector::new(&patterns) {
        Ok(selector) => selector,
        Err(e) => return tool_error(miette::miette!("{e}")),
    };
    if let Some(error) = unmatched_critical(&selector, &repo, &args.path) {
        return tool_error(error);
    }
    repo.config = config_file.map(config_source);
    tracing::info!(
        workflows = repo.workflows.len(),
        actions = repo.actions.len(),
        "repository loaded"
    );
    let judge = |repo: &Repository| analyse(repo, &selector);
    let report = match online::check(
        &mut repo,
        &judge,
        &config,
        &online_options(args),
        args.max_file_size,
    ) {
        Ok(report) => report,
        Err(e) => return tool_error(miette::miette!("{e}")),
    };
    let report = exceptions::apply(report, &repo, &config.exceptions, today);
    // Secrets are taken out of the report's text before any format lays it out.
    let report = alertlint::output::redacted(&report);

    if let Err(e) = write_outputs(args, &report, &repo) {
        return tool_error(miette::miette!("{e}"));
    }
    ExitCode::from(exit_code(&report, args.fail_on))
}

/// Patterns that name no workflow are almost always typos, and would leave the workflow
/// they meant unjudged while the control passes.
fn unmatched_critical(
    selector: &CriticalSelector,
    repo: &Repository,
    root: &Path,
) -> Option<miette::Report> {
    let paths: Vec<&str> = repo
        .workflows
        .iter()
        .map(|w| w.source.path.as_str())
        .collect();
    let unmatched = selector.unmatched(&paths);
    if unmatched.is_empty() {
        return None;
    }
    let listed = unmatched
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(miette::miette!(
        help = "patterns with a `/` match the path from the repository root \
                (.github/workflows/nightly.yml); patterns without one match the file name (nightly.yml)",
        "critical pattern {listed} matches no workflow in {}, so the workflow it was meant \
         to name would go unjudged",
        root.display()
    ))
}

/// A document format (JSON, SARIF, JUnit, markdown) on standard output must be the only
/// thing there, so that it parses; the human report and GitHub annotations are log lines
/// and can share it.
fn check_stdout_formats(formats: &[FormatRequest]) -> Result<(), String> {
    let on_stdout: Vec<Format> = formats
        .iter()
        .filter(|r| r.path.is_none())
        .map(|r| r.format)
        .collect();
    let documents = on_stdout
        .iter()
        .filter(|f| !matches!(f, Format::Human | Format::Github))
        .count();
    match documents == 0 || on_stdout.len() == 1 {
        true => Ok(()),
        false => Err(
            "a JSON, SARIF, JUnit or markdown report on standard output must be the only \
                      format there; give the others a file, as in `--format json=report.json`"
                .to_string(),
        ),
    }
}

/// The config as a source file of the repository, so findings about it show a snippet.
fn config_source(file: ConfigFile) -> SourceFile {
    SourceFile::from_text(&file.shown, Ok(file.text))
}

/// Today's date for exception expiry: the UTC date from the system clock, or the
/// `ALERTLINT_TODAY` date, which tests use to stay deterministic.
fn today() -> Result<jiff::civil::Date, String> {
    match std::env::var("ALERTLINT_TODAY") {
        Ok(text) if !text.is_empty() => text.parse().map_err(|_| {
            format!(
                "ALERTLINT_TODAY=`{text}` is not a date such as 2027-03-01; \
                 unset it to use the system clock"
            )
        }),
        _ => Ok(jiff::tz::Offset::UTC
            .to_datetime(jiff::Timestamp::now())
            .date()),
    }
}

fn write_outputs(args: &CheckArgs, report: &Report, repo: &Repository) -> Result<(), String> {
    let requests = requests(&args.formats);
    let prefix = repo_prefix(&repo.root);
    for request in &requests {
        let text = match request.format {
            Format::Human => human::render(report, repo, &human_options(args, request)),
            Format::Json => json::render(report),
            Format::Sarif => {
                let options = SarifOptions::new(prefix.clone(), args.sarif_category.as_deref());
                sarif::render(report, repo, &options)
            }
            Format::Github => github::render(report, &prefix),
            Format::Markdown => markdown::render(report),
            Format::Junit => junit::render(report),
        };
        write_output(request, &text)?;
    }
    append_step_summary(args, &requests, report)
}

/// The formats asked for; when none of them goes to standard output, the human report
/// goes there too, so that the log of a run that writes files still shows the verdicts.
fn requests(asked: &[FormatRequest]) -> Vec<FormatRequest> {
    let mut requests = asked.to_vec();
    if requests.iter().all(|r| r.path.is_some()) {
        requests.insert(
            0,
            FormatRequest {
                format: Format::Human,
                path: None,
            },
        );
    }
    requests
}

/// In GitHub Actions, the markdown summary goes to the job's summary page as well,
/// unless asked not to or already written there.
fn append_step_summary(
    args: &CheckArgs,
    requests: &[FormatRequest],
    report: &Report,
) -> Result<(), String> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let already = requests.iter().any(|r| {
        r.format == Format::Markdown && r.path.as_deref().map(std::ffi::OsStr::new) == Some(&path)
    });
    if args.no_step_summary || already {
        return Ok(());
    }
    let shown = Path::new(&path).display().to_string();
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(markdown::render(report).as_bytes()))
        .map_err(|e| {
            format!(
                "cannot append the summary to GITHUB_STEP_SUMMARY ({shown}): {e}; \
                 pass --no-step-summary to skip it"
            )
        })
}

/// Where the scanned root lies inside `GITHUB_WORKSPACE`, so that annotations and SARIF
/// name files the way GitHub does; empty outside GitHub Actions or at the workspace root.
fn repo_prefix(root: &Path) -> RepoPrefix {
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .and_then(|w| Path::new(&w).canonicalize().ok());
    let relative = workspace.and_then(|w| root.strip_prefix(w).ok().map(Path::to_path_buf));
    match relative {
        Some(relative) => RepoPrefix::new(&relative.to_string_lossy().replace('\\', "/")),
        None => RepoPrefix::default(),
    }
}

/// 0 pass, 1 fail, 3 unverified; `--fail-on warning` also fails on an open warning, and
/// `--fail-on never` passes whatever was found.
fn exit_code(report: &Report, fail_on: FailOn) -> u8 {
    let open_warning = report
        .findings
        .iter()
        .any(|f| f.severity == Severity::Warning && !f.is_waived());
    match (fail_on, report.status) {
        (FailOn::Never, _) => 0,
        (_, Status::Fail) => 1,
        (FailOn::Warning, _) if open_warning => 1,
        (_, Status::Unverified) => 3,
        (_, Status::Pass | Status::NotCritical) => 0,
    }
}

/// `config check`: the structure through the same parser `check` uses, then every
/// exception that could not waive anything.
fn config_check(file: &Path) -> ExitCode {
    let shown = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            return tool_error(miette::miette!(
                "{shown}: cannot be read: {e}; pass the config file to check, e.g. `alertlint config check .github/alertlint.yml`"
            ));
        }
    };
    let config = match Config::parse(&shown, &text) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(*e));
            return ExitCode::from(1);
        }
    };
    let today = match today() {
        Ok(today) => today,
        Err(e) => return tool_error(miette::miette!("{e}")),
    };
    let source = SourceFile::from_text(&shown, Ok(text));
    let problems = exceptions::config_problems(Some(&source), &config.exceptions, today);
    if problems.is_empty() {
        println!("{shown}: valid");
        return ExitCode::SUCCESS;
    }
    let repo = Repository {
        config: Some(source),
        ..Repository::default()
    };
    let options = human::HumanOptions {
        color: false,
        width: 100,
    };
    for finding in &problems {
        eprint!("{}", human::diagnostic(finding, &repo, &options));
    }
    ExitCode::from(1)
}

fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "alertlint", &mut std::io::stdout());
    ExitCode::SUCCESS
}

fn man() -> ExitCode {
    let mut page = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut page) {
        return tool_error(miette::miette!("cannot render the man page: {e}"));
    }
    match std::io::stdout().write_all(&page) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => tool_error(miette::miette!("cannot write to standard output: {e}")),
    }
}

fn print(text: &str) -> ExitCode {
    match std::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => tool_error(miette::miette!("cannot write to standard output: {e}")),
    }
}

fn online_options(args: &CheckArgs) -> online::Options {
    online::Options {
        offline: args.offline,
        token_env: args.token_env.clone(),
        repository: args.repository.clone(),
        api_url: args.api_url.clone(),
        rate_limit_wait: args.rate_limit_wait,
        request_timeout: args.request_timeout,
    }
}

fn human_options(args: &CheckArgs, request: &FormatRequest) -> human::HumanOptions {
    let terminal = request.path.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let width = match terminal {
        true => terminal_width().unwrap_or(100),
        false => 100,
    };
    human::HumanOptions { color, width }
}

fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS").ok()?.parse().ok()
}

fn write_output(request: &FormatRequest, text: &str) -> Result<(), String> {
    match &request.path {
        None => print_out(text).map_err(|e| format!("cannot write to standard output: {e}")),
        Some(path) => write_atomically(Path::new(path), redact(text).as_bytes()).map_err(|e| {
            format!("cannot write {path}: {e}; check that its folder exists and is writable")
        }),
    }
}

/// Writes to stdout, redacted: the only way anything reaches stdout.
fn print_out(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(redact(text).as_bytes())
        .and_then(|_| stdout.flush())
}

/// Writes to stderr, redacted: the only way anything but logs reaches stderr.
fn print_err(text: &str) {
    let _ = std::io::stderr().write_all(redact(text).as_bytes());
}

fn tool_error(report: miette::Report) -> ExitCode {
    print_err(&format!("{report:?}\n"));
    ExitCode::from(EXIT_TOOL_ERROR)
}

fn explain(rule: Option<&str>) -> ExitCode {
    let catalogue = Catalogue::builtin();
    let Some(id) = rule else {
        let list: String = catalogue
            .control
            .rules
            .iter()
            .map(|rule| format!("{:<36} {:<8} {}\n", rule.id, rule.severity, rule.title))
            .collect();
        let _ = print_out(&list);
        return ExitCode::SUCCESS;
    };
    let Some(rule) = catalogue.rule(id) else {
        let known: Vec<&str> = catalogue
            .control
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        print_err(&format!(
            "error: no rule named `{id}`; the rules are: {}\n",
            known.join(", ")
        ));
        return ExitCode::from(EXIT_TOOL_ERROR);
    };
    let _ = print_out(&format!(
        "{} ({})\n\n{}\n\nWhy it matters:\n{}\n\nWhat to do:\n{}\n",
        rule.id,
        rule.severity,
        rule.title,
        textwrap_simple(&rule.rationale),
        textwrap_simple(&rule.remediation)
    ));
    ExitCode::SUCCESS
}

fn textwrap_simple(text: &str) -> String {
    let mut lines = Vec::new();
    let mut current = String::from(" ");
    for word in text.split_whitespace() {
        if current.len() + word.len() > 88 {
            lines.push(std::mem::replace(&mut current, String::from(" ")));
        }
        current.push(' ');
        current.push_str(word);
    }
    lines.push(current);
    lines.join("\n")
}
