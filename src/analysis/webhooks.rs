//! Literal webhook URLs written into workflow and action files. A webhook URL is a
//! credential, so the finding names where it is and never what it is.

use crate::findings::{Finding, Location, Severity, Span};
use crate::repo::{Repository, SourceFile};
use crate::rules::Catalogue;

pub fn scan(repo: &Repository, catalogue: &Catalogue) -> Vec<Finding> {
    let workflows = repo.workflows.iter().map(|w| &w.source);
    let actions = repo.actions.values().map(|a| &a.source);
    workflows
        .chain(actions)
        .flat_map(|source| scan_file(source, catalogue))
        .collect()
}

fn scan_file(source: &SourceFile, catalogue: &Catalogue) -> Vec<Finding> {
    let text = source.text();
    let mut findings = Vec::new();
    for (name, regex) in &catalogue.webhook_regexes {
        for captures in regex.captures_iter(text) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let shown = crate::redact::redact(whole.as_str());
            let (line, column) = source.line_column(whole.start());
            let (end_line, end_column) = source.line_column(whole.end());
            let message = format!(
                "a literal {name} URL ({shown}) is written into this file: anyone who can read the \
                 repository can post to the channel. Revoke it, store a new one as a secret, and \
                 reference it as `${{{{ secrets.NAME }}}}`"
            );
            let span = Span {
                line,
                column,
                end_line,
                end_column,
                start_byte: whole.start(),
                end_byte: whole.end(),
            };
            let location = Location::file(&source.path).with_span(span);
            findings.push(Finding::new(
                "webhook-hardcoded",
                Severity::Error,
                message,
                location,
            ));
        }
    }
    findings
}
