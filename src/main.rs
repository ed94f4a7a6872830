//! The binary: parse arguments, run the command, turn the outcome into an exit code.
//! 0: the control passes; 1: it fails; 2: alertlint could not do its job; 3: unverified.
//! Everything it prints or writes passes through `alertlint::redact` on the way out, and
//! every file goes through `alertlint::atomic_write`.

mod cli;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use alertlint::analysis::{CriticalSelector, analyse};
use alertlint::atomic_write::write_atomically;
use alertlint::config::Config;
use alertlint::findings::Status;
use alertlint::output::{Format, FormatRequest, human, json};
use alertlint::redact::{RedactingWriter, redact};
use alertlint::repo::Repository;
use alertlint::rules::Catalogue;
use cli::{CheckArgs, Cli, ColorChoice, Command};

const EXIT_TOOL_ERROR: u8 = 2;

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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingWriter::new(std::io::stderr()))
        .without_time()
        .try_init();
}

fn check(args: &CheckArgs) -> ExitCode {
    let (config, _) = match Config::load(&args.path, args.config.as_deref(), args.max_file_size) {
        Ok(loaded) => loaded,
        Err(e) => return tool_error(miette::Report::new(*e)),
    };
    let mut patterns = config.critical.clone();
    patterns.extend(args.critical.iter().cloned());
    let selector = match CriticalSelector::new(&patterns) {
        Ok(selector) => selector,
        Err(e) => return tool_error(miette::miette!("{e}")),
    };
    let repo = match Repository::load(&args.path, args.max_file_size) {
        Ok(repo) => repo,
        Err(e) => return tool_error(miette::miette!("{e}")),
    };
    tracing::info!(
        workflows = repo.workflows.len(),
        actions = repo.actions.len(),
        "repository loaded"
    );
    let report = alertlint::output::redacted(&analyse(&repo, &selector));

    let requests = match args.formats.is_empty() {
        true => vec![FormatRequest {
            format: Format::Human,
            path: None,
        }],
        false => args.formats.clone(),
    };
    for request in &requests {
        let text = match request.format {
            Format::Human => human::render(&report, &repo, &human_options(args, request)),
            Format::Json => json::render(&report),
        };
        if let Err(e) = write_output(request, &text) {
            return tool_error(miette::miette!("{e}"));
        }
    }
    ExitCode::from(match report.status {
        Status::Pass | Status::NotCritical => 0,
        Status::Fail => 1,
        Status::Unverified => 3,
    })
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
            .map(|rule| format!("{:<30} {:<8} {}\n", rule.id, rule.severity, rule.title))
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
