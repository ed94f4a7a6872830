//! Which workflows are critical: those the config or the command line name, or, when
//! neither names any, every workflow with a `schedule` trigger, since scheduled jobs are
//! the ones nobody is watching when they fail.

use globset::{Glob, GlobMatcher};

use super::model::WorkflowModel;

pub struct CriticalSelector {
    patterns: Vec<Pattern>,
}

/// One pattern as written, and how it matches: a pattern with a `/` matches the path
/// from the repository root, one without matches the file name alone.
struct Pattern {
    text: String,
    matcher: GlobMatcher,
    by_name: bool,
}

impl CriticalSelector {
    /// `patterns` are paths or globs. An empty list means "every scheduled workflow".
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        let patterns = patterns
            .iter()
            .map(|text| {
                let trimmed = text.trim().trim_start_matches("./");
                let glob =
                    Glob::new(trimmed).map_err(|e| format!("critical pattern `{trimmed}`: {e}"))?;
                Ok(Pattern {
                    text: text.clone(),
                    matcher: glob.compile_matcher(),
                    by_name: !trimmed.contains('/'),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self { patterns })
    }

    pub fn scheduled_only() -> Self {
        Self {
            patterns: Vec::new(),
        }
    }

    pub fn is_critical(&self, workflow: &WorkflowModel<'_>) -> bool {
        match self.patterns.is_empty() {
            true => !workflow.schedules.is_empty(),
            false => self.names(workflow.path),
        }
    }

    fn names(&self, path: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(path))
    }

    /// Patterns that name none of `paths`: almost always a typo, and one that would
    /// quietly leave a critical workflow unjudged.
    pub fn unmatched<'p>(&'p self, paths: &[&str]) -> Vec<&'p str> {
        self.patterns
            .iter()
            .filter(|p| !paths.iter().any(|path| p.matches(path)))
            .map(|p| p.text.as_str())
            .collect()
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match self.by_name {
            true => self
                .matcher
                .is_match(path.rsplit('/').next().unwrap_or(path)),
            false => self.matcher.is_match(path),
        }
    }
}
