//! `--format github`: one GitHub Actions workflow command per finding, which the runner
//! turns into an annotation on the file and line. Errors and warnings keep their level;
//! notes and waived findings become notices, so a waived gap stays visible without
//! looking like a failure.

use super::RepoPrefix;
use crate::findings::{Finding, Report, Severity};

pub fn render(report: &Report, prefix: &RepoPrefix) -> String {
    report
        .findings
        .iter()
        .map(|finding| command(finding, prefix))
        .collect()
}

fn command(finding: &Finding, prefix: &RepoPrefix) -> String {
    let name = match (finding.is_waived(), finding.severity) {
        (true, _) | (false, Severity::Note) => "notice",
        (false, Severity::Warning) => "warning",
        (false, Severity::Error) => "error",
    };
    let mut properties = vec![("file", prefix.apply(&finding.location.path))];
    if let Some(span) = finding.location.span {
        // A span that ends at the start of a line ends, for a reader, on the line before.
        let end_line = match span.end_column == 1 && span.end_line > span.line {
            true => span.end_line - 1,
            false => span.end_line.max(span.line),
        };
        properties.push(("line", span.line.to_string()));
        properties.push(("endLine", end_line.to_string()));
        properties.push(("col", span.column.to_string()));
        // GitHub reads columns only for an annotation on a single line.
        if end_line == span.line {
            properties.push(("endColumn", span.end_column.to_string()));
        }
    }
    let title = match finding.is_waived() {
        true => format!("alertlint/{} (waived)", finding.rule),
        false => format!("alertlint/{}", finding.rule),
    };
    properties.push(("title", title));
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    format!(
        "::{name} {}::{}\n",
        properties.join(","),
        escape_data(&message(finding))
    )
}

fn message(finding: &Finding) -> String {
    match &finding.waiver {
        Some(waiver) => format!("{}\n{}", finding.message, waiver.summary()),
        None => finding.message.clone(),
    }
}

/// The message part of a command: the runner reads `%`, CR and LF specially.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as the message, and `:` and `,` also end a value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(escape_data("100%\r\nnext"), "100%25%0D%0Anext");
    }

    #[test]
    fn properties_also_escape_colons_and_commas() {
        assert_eq!(
            escape_property("alertlint/a: b,c%"),
            "alertlint/a%3A b%2Cc%25"
        );
    }
}
