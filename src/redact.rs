//! Hiding secrets in text on its way out. Everything alertlint writes (reports in every
//! format, logs, error messages, panic messages, and the errors of HTTP libraries) passes
//! through [`redact`] first, so that a token or webhook URL that reached a message by any
//! path is still never printed. What counts as a secret: GitHub tokens (`ghp_…`,
//! `github_pat_…` and their kin), Slack tokens, bearer credentials, the webhook URLs of
//! `rules/notifiers.yaml`, and the values of `GH_TOKEN` and `GITHUB_TOKEN` when set.
//! Whether a webhook written into a workflow is a finding is decided in
//! `analysis/webhooks.rs`; this module only keeps secrets out of the output.

use std::borrow::Cow;
use std::io::Write;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::rules::Catalogue;

/// What a secret is replaced with by [`redact`].
pub const MASK: &str = "***";

/// Environment variables whose values are credentials alertlint may hold.
pub const TOKEN_VARIABLES: [&str; 2] = ["GH_TOKEN", "GITHUB_TOKEN"];

/// Values shorter than this are not treated as secrets: replacing every `x` in a report
/// because `GITHUB_TOKEN=x` would hide the report, not a credential.
const MIN_SECRET_LEN: usize = 8;

/// Token formats that are secrets wherever they appear. Each has a group `secret`; what
/// comes before it (`ghp_`, `Bearer `) is kept so that a reader can tell what was hidden.
const TOKEN_PATTERNS: [&str; 4] = [
    r"\b(?:gh[pousr]_|github_pat_)(?P<secret>[A-Za-z0-9_]{20,})",
    r"\bxox[abeoprs]-(?P<secret>[A-Za-z0-9-]{10,})",
    r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9_.~+/=-]{16,})",
    r"(?i)\bauthorization:\s*(?:basic|bearer|token)?\s*(?P<secret>[^\s'\x22]{8,})",
];

/// Finds the secrets in text: the patterns above and the catalogue's webhook URLs, plus
/// literal values such as the tokens in the environment.
pub struct Redactor {
    patterns: Vec<Regex>,
    literals: Vec<String>,
}

impl Redactor {
    /// A redactor that also hides each of `literals` (those long enough to be secrets).
    pub fn new(literals: impl IntoIterator<Item = String>) -> Self {
        let mut patterns: Vec<Regex> = TOKEN_PATTERNS
            .iter()
            .map(|pattern| Regex::new(pattern).expect("static regex"))
            .collect();
        patterns.extend(
            Catalogue::builtin()
                .webhook_regexes
                .iter()
                .map(|(_, regex)| regex.clone()),
        );
        let literals = literals
            .into_iter()
            .filter(|value| value.trim().len() >= MIN_SECRET_LEN)
            .collect();
        Self { patterns, literals }
    }

    /// The redactor for this process: the patterns and the token variables' values, read
    /// once.
    pub fn global() -> &'static Redactor {
        static REDACTOR: OnceLock<Redactor> = OnceLock::new();
        REDACTOR.get_or_init(|| {
            Redactor::new(
                TOKEN_VARIABLES
                    .iter()
                    .filter_map(|name| std::env::var(name).ok()),
            )
        })
    }

    /// The text with every secret replaced by `***`.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.replace_secrets(text, |_| MASK.to_string())
    }

    /// The text with every byte of every secret replaced by `*`, so that byte offsets
    /// into it (the spans of findings) still point at the same places.
    pub fn mask<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.replace_secrets(text, |secret| "*".repeat(secret.len()))
    }

    fn replace_secrets<'t>(
        &self,
        text: &'t str,
        replacement: impl Fn(&str) -> String,
    ) -> Cow<'t, str> {
        let ranges = self.secrets(text);
        if ranges.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut from = 0;
        for range in ranges {
            out.push_str(&text[from..range.start]);
            out.push_str(&replacement(&text[range.clone()]));
            from = range.end;
        }
        out.push_str(&text[from..]);
        Cow::Owned(out)
    }

    /// The byte ranges of the secrets in `text`, sorted, merged where they overlap, and
    /// always on character boundaries.
    fn secrets(&self, text: &str) -> Vec<Range<usize>> {
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for pattern in &self.patterns {
            for captures in pattern.captures_iter(text) {
                if let Some(found) = captures.name("secret").or_else(|| captures.get(0)) {
                    ranges.push(found.range());
                }
            }
        }
        for literal in &self.literals {
            ranges.extend(
                text.match_indices(literal.as_str())
                    .map(|(at, found)| at..at + found.len()),
            );
        }
        merge(ranges)
    }
}

fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.retain(|range| !range.is_empty());
    ranges.sort_by_key(|range| (range.start, range.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// The text with every secret replaced by `***`, by the process's [`Redactor`].
pub fn redact(text: &str) -> Cow<'_, str> {
    Redactor::global().redact(text)
}

/// The text with every byte of every secret replaced by `*`, keeping byte offsets.
pub fn mask(text: &str) -> Cow<'_, str> {
    Redactor::global().mask(text)
}

/// A writer that redacts what passes through it. Each `write` is redacted on its own, so
/// it suits writers fed whole messages at once, as the log formatter does.
pub struct RedactingWriter<W: Write> {
    inner: W,
}

impl<W: Write> RedactingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self { inner }
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        self.inner.write_all(redact(&text).as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(["s3cr3t-from-the-environment".to_string(), "x".to_string()])
    }

    #[test]
    fn github_tokens_keep_their_prefix_and_lose_the_rest() {
        let text = "token ghp_0123456789abcdefghijABCDEFGHIJ012345 and \
                    github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz here";
        assert_eq!(
            redactor().redact(text),
            "token ghp_*** and github_pat_*** here"
        );
    }

    #[test]
    fn webhook_urls_from_the_catalogue_lose_their_secret_part() {
        let text = "posting to https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx now";
        assert_eq!(
            redactor().redact(text),
            "posting to https://hooks.slack.com/services/*** now"
        );
    }

    #[test]
    fn environment_values_are_hidden_wherever_they_appear_but_short_ones_are_not_secrets() {
        let text = "GET failed: s3cr3t-from-the-environment rejected; x marks the spot";
        assert_eq!(
            redactor().redact(text),
            "GET failed: *** rejected; x marks the spot"
        );
    }

    #[test]
    fn bearer_credentials_in_http_errors_are_hidden() {
        let text = "request had Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123";
        assert_eq!(
            redactor().redact(text),
            "request had Authorization: Bearer ***"
        );
    }

    #[test]
    fn masking_keeps_every_byte_offset() {
        let secret = "T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx";
        let text = format!("url: https://hooks.slack.com/services/{secret}\nnext");
        let masked = redactor().mask(&text);
        let stars = "*".repeat(secret.len());
        assert_eq!(
            masked,
            format!("url: https://hooks.slack.com/services/{stars}\nnext")
        );
    }

    #[test]
    fn text_without_secrets_is_returned_as_is() {
        assert!(matches!(
            redactor().redact("nothing to see"),
            Cow::Borrowed("nothing to see")
        ));
    }

    #[test]
    fn overlapping_secrets_are_hidden_once() {
        let redactor = Redactor::new(["ghp_0123456789abcdefghijABCDEFGHIJ012345".to_string()]);
        assert_eq!(
            redactor.redact("a ghp_0123456789abcdefghijABCDEFGHIJ012345 b"),
            "a *** b"
        );
    }
}
