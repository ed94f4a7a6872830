//! The binary: parse arguments, run the command, turn the outcome into an exit code.
//! 0: the control passes; 1: it fails; 2: alertlint could not do its job; 3: unverified.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use alertlint::analysis::{CriticalSelector, analyse};
use alertlint::config::Config;
use alertlint::findings::Status;
use alertlint::output::{Format, FormatRequest, human, json};
use alertlint::repo::Repository;
use alertlint::rules::Catalogue;
use cli::{CheckArgs, Cli, ColorChoice, Command};

const EXIT_TOOL_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.use_stderr() {
                true => ExitCode::from(EXIT_TOOL_ERROR),
                false => ExitCode::SUCCESS,
            };
        }
    };
    init_logging(cli.verbose);
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Explain { rule } => explain(rule.as_deref()),
    }
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
        .with_writer(std::io::stderr)
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
    let report = analyse(&repo, &selector);

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
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|e| format!("cannot write to standard output: {e}"))
        }
        Some(path) => std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}")),
    }
}

fn tool_error(report: miette::Report) -> ExitCode {
    eprintln!("{report:?}");
    ExitCode::from(EXIT_TOOL_ERROR)
}

fn explain(rule: Option<&str>) -> ExitCode {
    let catalogue = Catalogue::builtin();
    let Some(id) = rule else {
        for rule in &catalogue.control.rules {
            println!("{:<30} {:<8} {}", rule.id, rule.severity, rule.title);
        }
        return ExitCode::SUCCESS;
    };
    let Some(rule) = catalogue.rule(id) else {
        let known: Vec<&str> = catalogue
            .control
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        eprintln!(
            "error: no rule named `{id}`; the rules are: {}",
            known.join(", ")
        );
        return ExitCode::from(EXIT_TOOL_ERROR);
    };
    println!("{} ({})\n\n{}\n", rule.id, rule.severity, rule.title);
    println!("Why it matters:\n{}\n", textwrap_simple(&rule.rationale));
    println!("What to do:\n{}", textwrap_simple(&rule.remediation));
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
