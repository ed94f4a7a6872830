//! How much work judging one workflow may take. The route search imagines a run for every
//! job and looks at every job downstream of it, through reusable workflows up to eight
//! deep, so a hostile file with thousands of jobs, or callers calling themselves, could
//! keep it busy for hours. Work is counted in deterministic units (jobs and needs looked
//! at), never in time, so the same files always get the same verdicts on any machine.

use std::cell::Cell;

/// Far above what real workflows need: the largest in the test corpus spend under 30,000
/// units, and a chain of 100 jobs with a notify job that needs them all about 1.8 million.
/// A release build spends it in about a second.
pub const WORK_BUDGET: u64 = 5_000_000;

#[derive(Debug)]
pub struct Budget {
    spent: Cell<u64>,
    limit: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Self {
            spent: Cell::new(0),
            limit,
        }
    }

    /// Counts `units` of work; false once the budget is spent, so callers stop looking.
    pub fn spend(&self, units: usize) -> bool {
        let units = u64::try_from(units).unwrap_or(u64::MAX);
        self.spent.set(self.spent.get().saturating_add(units));
        !self.is_exhausted()
    }

    pub fn is_exhausted(&self) -> bool {
        self.spent.get() > self.limit
    }

    pub fn spent(&self) -> u64 {
        self.spent.get()
    }

    /// Starts counting afresh for the next workflow.
    pub fn reset(&self) {
        self.spent.set(0);
    }
}
