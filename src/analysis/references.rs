//! Local `uses: ./path` references the loader did not follow, because they leave the
//! repository or name nothing readable, reported at the `uses:` that wrote them. Which
//! references are refused is decided in `repo/`; this module only places the findings.

use super::Analyzer;
use super::model::{JobBody, StepModel};
use super::notifier::StepRole;
use crate::findings::{Finding, Location, Segment, Severity};
use crate::repo::{RefusedReference, local_key};

const RULE: &str = "local-reference-refused";

impl Analyzer<'_> {
    /// Reports every refused reference once for each place in the repository naming it.
    pub(super) fn report_refused_references(&self) {
        if self.repo.refused.is_empty() {
            return;
        }
        let local = self
            .workflows
            .iter()
            .filter(|w| self.repo.workflow(w.path).is_some());
        for workflow in local {
            for job in &workflow.jobs {
                match &job.body {
                    JobBody::Steps(steps) => self.refused_in_steps(steps),
                    JobBody::Call(call) => {
                        let Some(refused) = self.refused(&call.uses) else {
                            continue;
                        };
                        let mut location = job.location.clone();
                        location.route.push(Segment::from("uses"));
                        self.report(refused_finding(refused, location));
                    }
                    JobBody::Unreadable => {}
                }
            }
        }
        for key in self.repo.actions.keys() {
            if let Some(steps) = self.action_steps(key) {
                self.refused_in_steps(steps);
            }
        }
    }

    fn refused_in_steps(&self, steps: &[StepModel]) {
        for step in steps {
            let StepRole::LocalAction(key) = &step.role else {
                continue;
            };
            if let Some(refused) = self.repo.refused.get(key) {
                let mut location = step.location.clone();
                location.route.push(Segment::from("uses"));
                self.report(refused_finding(refused, location));
            }
        }
    }

    fn refused(&self, uses: &str) -> Option<&RefusedReference> {
        let uses = uses.trim();
        uses.starts_with("./")
            .then(|| self.repo.refused.get(&local_key(uses)))
            .flatten()
    }
}

/// A reference that leaves the repository is a warning; one that names nothing here is
/// only a note, since another checkout may put the action there at run time. Reasons for
/// the latter start with "cannot be read".
fn refused_finding(refused: &RefusedReference, location: Location) -> Finding {
    let (severity, message) = match refused.leaves_root {
        true => (
            Severity::Warning,
            format!(
                "the local reference `./{}` was not followed: {}. alertlint reads only files \
                 inside the repository it judges, so nothing here can count as an alert route",
                refused.reference, refused.reason
            ),
        ),
        false => (
            Severity::Note,
            format!(
                "the local reference `./{}` {}. If another checkout puts it there at run time, \
                 alertlint cannot see it, so nothing here can count as an alert route",
                refused.reference, refused.reason
            ),
        ),
    };
    Finding::new(RULE, severity, message, location)
}
