//! Which workflows are critical: those the config or the command line name, or, when
//! neither names any, every workflow with a `schedule` trigger, since scheduled jobs are
//! the ones nobody is watching when they fail.

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::model::WorkflowModel;

pub struct CriticalSelector {
    globs: Option<GlobSet>,
}

impl CriticalSelector {
    /// `patterns` are paths or globs relative to the repository root. An empty list
    /// means "every scheduled workflow".
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        if patterns.is_empty() {
            return Ok(Self { globs: None });
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let pattern = pattern.trim().trim_start_matches("./");
            let glob =
                Glob::new(pattern).map_err(|e| format!("critical pattern `{pattern}`: {e}"))?;
            builder.add(glob);
        }
        let globs = builder.build().map_err(|e| e.to_string())?;
        Ok(Self { globs: Some(globs) })
    }

    pub fn scheduled_only() -> Self {
        Self { globs: None }
    }

    pub fn is_critical(&self, workflow: &WorkflowModel<'_>) -> bool {
        match &self.globs {
            Some(globs) => globs.is_match(workflow.path),
            None => !workflow.schedules.is_empty(),
        }
    }
}
