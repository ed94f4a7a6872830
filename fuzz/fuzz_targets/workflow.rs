//! Arbitrary bytes as a workflow file, judged as critical and rendered in every format.
//! Whatever the bytes, this must end with a report: no panic, no overflow, no hang.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

use alertlint::analysis::{CriticalSelector, analyse};
use alertlint::output::{human, json};
use alertlint::repo::{DEFAULT_MAX_FILE_BYTES, Repository};

fuzz_target!(|bytes: &[u8]| {
    let files = BTreeMap::from([(".github/workflows/fuzzed.yml".to_string(), bytes.to_vec())]);
    let repo = Repository::from_memory(files, DEFAULT_MAX_FILE_BYTES);
    let Ok(everything) = CriticalSelector::new(&["**".to_string()]) else {
        return;
    };
    let report = analyse(&repo, &everything);
    let options = human::HumanOptions {
        color: false,
        width: 100,
    };
    let _ = human::render(&report, &repo, &options);
    let _ = json::render(&report);
});
