//! Exceptions: gaps a person has accepted, written in the config's `exceptions:` list or
//! as an `# alertlint: ignore[rule] reason="..."` comment beside the finding. This is the
//! last pass over a judged [`Report`]: it attaches a [`Waiver`] to each finding an
//! exception accepts, reports exceptions that are invalid or match nothing, and rebuilds
//! the report so its statuses account for them. Waived findings are kept, never dropped.
//! Nothing here reads files or the clock: the caller passes the loaded repository and today.

use std::sync::OnceLock;

use globset::{Glob, GlobMatcher};
use jiff::civil::Date;
use regex::Regex;

use crate::config::Exception;
use crate::findings::{Finding, Location, Report, Severity, Span, Waiver, WaiverSource};
use crate::repo::{Repository, SourceFile};
use crate::rules::Catalogue;

pub const INVALID_RULE: &str = "exception-invalid";
pub const UNUSED_RULE: &str = "exception-unused";

/// One exception as written, before it is checked.
struct Written {
    source: WaiverSource,
    rules: Vec<String>,
    /// Config exceptions only: the path or glob of the files it covers.
    path: Option<String>,
    job: Option<String>,
    reason: Option<String>,
    approved_by: Option<String>,
    expires: Option<String>,
    location: Location,
}

/// An exception that passed its checks and can accept findings.
struct Usable {
    written: Written,
    files: Option<GlobMatcher>,
    expired: bool,
    used: bool,
}

/// Applies every exception of the config and of the repository's files to the report.
pub fn apply(
    mut report: Report,
    repo: &Repository,
    configured: &[Exception],
    today: Date,
) -> Report {
    let findings = &mut report.findings;
    let mut written = config_exceptions(repo.config.as_ref(), configured);
    written.extend(inline_exceptions(repo));
    let (mut usable, mut problems) = check_all(written, today);

    for finding in findings.iter_mut() {
        waive(finding, &mut usable);
    }

    problems.extend(usable.iter().filter(|u| !u.used).map(unused));
    findings.extend(problems);
    report.refresh_statuses();
    report
}

/// The config's exceptions that cannot waive anything (no reason, an unknown rule, a bad
/// date or glob), as `exception-invalid` findings placed in the config file.
pub fn config_problems(
    config: Option<&SourceFile>,
    configured: &[Exception],
    today: Date,
) -> Vec<Finding> {
    check_all(config_exceptions(config, configured), today).1
}

fn check_all(written: Vec<Written>, today: Date) -> (Vec<Usable>, Vec<Finding>) {
    let mut problems = Vec::new();
    let usable = written
        .into_iter()
        .filter_map(|written| match check(&written, today) {
            Ok((files, expired)) => Some(Usable {
                written,
                files,
                expired,
                used: false,
            }),
            Err(message) => {
                problems.push(invalid(&written, message));
                None
            }
        })
        .collect();
    (usable, problems)
}

/// The config's entries, each placed at its line in the config file.
fn config_exceptions(config: Option<&SourceFile>, configured: &[Exception]) -> Vec<Written> {
    let path = config.map_or(crate::config::CONFIG_PATH, |c| c.path.as_str());
    configured
        .iter()
        .enumerate()
        .map(|(index, exception)| {
            let mut location = Location::at(path, crate::route!["exceptions", index]);
            location.span = config.and_then(|c| c.span_of(&location.route));
            Written {
                source: WaiverSource::Config,
                rules: vec![exception.rule.clone()],
                path: exception.path.clone(),
                job: exception.job.clone(),
                reason: exception.reason.clone(),
                approved_by: exception.approved_by.clone(),
                expires: exception.expires.clone(),
                location,
            }
        })
        .collect()
}

/// Every `# alertlint: ignore[...]` comment in the workflow and action files.
fn inline_exceptions(repo: &Repository) -> Vec<Written> {
    let workflows = repo.workflows.iter().map(|w| &w.source);
    let actions = repo.actions.values().map(|a| &a.source);
    workflows.chain(actions).flat_map(comments_in).collect()
}

fn comments_in(source: &SourceFile) -> Vec<Written> {
    static COMMENT: OnceLock<Regex> = OnceLock::new();
    let comment = COMMENT.get_or_init(|| {
        Regex::new(r"(?:^|\s)#\s*alertlint:\s*ignore\[([^\]]*)\](.*)$").expect("static regex")
    });
    let mut found = Vec::new();
    let mut offset = 0;
    for (index, line) in source.text().split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(captures) = comment.captures(content) {
            let start = captures
                .get(0)
                .map_or(0, |m| m.start() + m.as_str().find('#').unwrap_or(0));
            let span = line_span(index + 1, content, start, offset);
            found.push(inline(source, &captures[1], &captures[2], span));
        }
        offset += line.len();
    }
    found
}

fn inline(source: &SourceFile, rules: &str, settings: &str, span: Span) -> Written {
    let rules = rules
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    Written {
        source: WaiverSource::Inline,
        rules,
        path: None,
        job: None,
        reason: setting(settings, "reason"),
        approved_by: setting(settings, "approved_by"),
        expires: setting(settings, "expires"),
        location: Location::file(&source.path).with_span(span),
    }
}

/// The value of `key="quoted text"` or `key=word` in the rest of an ignore comment.
fn setting(settings: &str, key: &str) -> Option<String> {
    static SETTING: OnceLock<Regex> = OnceLock::new();
    let pattern = SETTING.get_or_init(|| {
        Regex::new(r#"(\w+)=(?:"([^"]*)"|'([^']*)'|(\S+))"#).expect("static regex")
    });
    pattern
        .captures_iter(settings)
        .find(|c| &c[1] == key)
        .and_then(|c| c.get(2).or(c.get(3)).or(c.get(4)))
        .map(|m| m.as_str().trim().to_string())
}

fn line_span(line: usize, content: &str, start: usize, offset: usize) -> Span {
    let column = content[..start].chars().count() + 1;
    Span {
        line,
        column,
        end_line: line,
        end_column: content.chars().count() + 1,
        start_byte: offset + start,
        end_byte: offset + content.len(),
    }
}

/// Checks that an exception says what an auditor needs, and whether it has expired:
/// the files it covers (config exceptions) and whether its last day has passed, or why
/// it cannot waive anything.
fn check(written: &Written, today: Date) -> Result<(Option<GlobMatcher>, bool), String> {
    let catalogue = Catalogue::builtin();
    if written
        .reason
        .as_deref()
        .is_none_or(|r| r.trim().is_empty())
    {
        return Err(
            "this exception gives no reason; an auditor accepts a waived gap only when it \
                    says why, so it waives nothing. Add `reason`"
                .to_string(),
        );
    }
    if written.rules.is_empty() {
        return Err("this exception names no rule, so it waives nothing".to_string());
    }
    if let Some(own) = written.rules.iter().find(|r| is_about_exceptions(r)) {
        return Err(format!(
            "`{own}` cannot be waived: fix or remove the exception it is about instead"
        ));
    }
    if let Some(unknown) = written.rules.iter().find(|r| catalogue.rule(r).is_none()) {
        return Err(format!(
            "this exception names the rule `{unknown}`, which does not exist (`alertlint explain` \
             lists them), so it waives nothing"
        ));
    }
    let files = match (written.source, &written.path) {
        (WaiverSource::Inline, _) => None,
        (WaiverSource::Config, None) => {
            return Err(
                "this exception has no `path`, so it waives nothing; name the file or a \
                        glob (`**` for every file, if that is really meant)"
                    .to_string(),
            );
        }
        (WaiverSource::Config, Some(path)) => Some(matcher(path)?),
    };
    Ok((files, has_expired(written.expires.as_deref(), today)?))
}

/// An exception holds through its `expires` day and lapses the day after.
fn has_expired(expires: Option<&str>, today: Date) -> Result<bool, String> {
    let Some(text) = expires else {
        return Ok(false);
    };
    match text.parse::<Date>() {
        Ok(last_day) => Ok(last_day < today),
        Err(_) => Err(format!(
            "this exception expires on `{text}`, which is not a date such as 2027-03-01, so it \
             waives nothing"
        )),
    }
}

fn matcher(path: &str) -> Result<GlobMatcher, String> {
    let pattern = path.trim().trim_start_matches("./");
    Glob::new(pattern)
        .map(|glob| glob.compile_matcher())
        .map_err(|e| format!("this exception's path `{path}` is not a valid glob: {e}"))
}

fn invalid(written: &Written, message: String) -> Finding {
    Finding::new(
        INVALID_RULE,
        Severity::Error,
        message,
        written.location.clone(),
    )
}

fn unused(usable: &Usable) -> Finding {
    let written = &usable.written;
    let what = match written.source {
        WaiverSource::Config => {
            let mut what = format!(
                "`{}` in `{}`",
                written.rules.join(", "),
                written.path.as_deref().unwrap_or("")
            );
            if let Some(job) = &written.job {
                what.push_str(&format!(" for job `{job}`"));
            }
            what
        }
        WaiverSource::Inline => format!("`{}` on this line or the next", written.rules.join(", ")),
    };
    let message = format!(
        "this exception for {what} matches no finding; remove it, so that it cannot hide a future gap"
    );
    Finding::new(
        UNUSED_RULE,
        Severity::Warning,
        message,
        written.location.clone(),
    )
}

/// Attaches the best matching exception to a finding: a live one before an expired one.
fn waive(finding: &mut Finding, exceptions: &mut [Usable]) {
    if is_about_exceptions(&finding.rule) {
        return;
    }
    let best = exceptions
        .iter()
        .enumerate()
        .filter(|(_, e)| matches(e, finding))
        .min_by_key(|(_, e)| e.expired)
        .map(|(index, _)| index);
    let Some(index) = best else {
        return;
    };
    let exception = &mut exceptions[index];
    exception.used = true;
    let written = &exception.written;
    finding.waiver = Some(Waiver {
        source: written.source,
        reason: written.reason.clone().unwrap_or_default(),
        approved_by: written.approved_by.clone(),
        expires: written.expires.clone(),
        expired: exception.expired,
        location: written.location.clone(),
    });
}

/// Findings about exceptions are never waived themselves: an exception could then hide
/// its own lack of a reason.
fn is_about_exceptions(rule: &str) -> bool {
    rule == INVALID_RULE || rule == UNUSED_RULE
}

/// Whether an exception covers a finding: the same rule, and the same file and job (for
/// the config) or a comment on the finding's line or the line above it (inline).
fn matches(exception: &Usable, finding: &Finding) -> bool {
    let written = &exception.written;
    if !written.rules.contains(&finding.rule) {
        return false;
    }
    match written.source {
        WaiverSource::Config => {
            let in_file = exception
                .files
                .as_ref()
                .is_some_and(|files| files.is_match(&finding.location.path));
            let for_job = match &written.job {
                Some(job) => finding.job.as_deref() == Some(job.as_str()),
                None => true,
            };
            in_file && for_job
        }
        WaiverSource::Inline => {
            let (Some(at), Some(comment)) = (finding.location.span, written.location.span) else {
                return false;
            };
            written.location.path == finding.location.path
                && (comment.line == at.line || comment.line + 1 == at.line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_holds_through_its_last_day_and_lapses_the_next() {
        let last_day: Date = "2027-03-01".parse().unwrap();
        let next_day: Date = "2027-03-02".parse().unwrap();
        assert_eq!(has_expired(Some("2027-03-01"), last_day), Ok(false));
        assert_eq!(has_expired(Some("2027-03-01"), next_day), Ok(true));
        assert_eq!(has_expired(None, next_day), Ok(false));
        assert!(has_expired(Some("March 2027"), last_day).is_err());
    }

    #[test]
    fn ignore_comment_settings_read_quoted_and_bare_values() {
        let settings =
            r#" reason="vendor runs it, they page us" expires=2027-03-01 approved_by='Ana'"#;
        assert_eq!(
            setting(settings, "reason").as_deref(),
            Some("vendor runs it, they page us")
        );
        assert_eq!(setting(settings, "expires").as_deref(), Some("2027-03-01"));
        assert_eq!(setting(settings, "approved_by").as_deref(), Some("Ana"));
        assert_eq!(setting(settings, "job"), None);
    }

    #[test]
    fn ignore_comment_is_found_after_yaml_and_alone_but_not_inside_a_word() {
        let text = "jobs:\n  sync: # alertlint: ignore[missing-failure-alert] reason=\"x\"\n  # alertlint: ignore[a, b] reason=y\n  url: http://h/#alertlint: ignore[c]\n";
        let source = SourceFile::from_text(".github/workflows/x.yml", Ok(text.to_string()));
        let found = comments_in(&source);
        let lines: Vec<usize> = found
            .iter()
            .map(|w| w.location.span.map_or(0, |s| s.line))
            .collect();
        assert_eq!(lines, vec![2, 3]);
        assert_eq!(found[1].rules, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(found[0].location.span.map(|s| s.column), Some(9));
    }
}
