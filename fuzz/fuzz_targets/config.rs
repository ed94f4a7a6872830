//! Arbitrary bytes as `.github/alertlint.yml`: parsed, and when it is a config, used to
//! select the critical workflows of a small repository that is then judged and rendered.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

use alertlint::analysis::{CriticalSelector, analyse};
use alertlint::config::{CONFIG_PATH, Config};
use alertlint::output::json;
use alertlint::repo::{DEFAULT_MAX_FILE_BYTES, Repository};

const NIGHTLY: &str = "name: Nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./sync.sh\n      - if: failure()\n        run: curl -fsS -X POST \"${{ secrets.SLACK_WEBHOOK_URL }}\" -d '{}'\n";
const DEPLOY: &str = "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./deploy.sh\n";

fuzz_target!(|bytes: &[u8]| {
    let Ok(config) = Config::from_bytes(CONFIG_PATH, bytes) else {
        return;
    };
    let Ok(selector) = CriticalSelector::new(&config.critical) else {
        return;
    };
    let files = BTreeMap::from([
        (
            ".github/workflows/nightly.yml".to_string(),
            NIGHTLY.as_bytes().to_vec(),
        ),
        (
            ".github/workflows/deploy.yml".to_string(),
            DEPLOY.as_bytes().to_vec(),
        ),
        (CONFIG_PATH.to_string(), bytes.to_vec()),
    ]);
    let repo = Repository::from_memory(files, DEFAULT_MAX_FILE_BYTES);
    let report = analyse(&repo, &selector);
    let _ = json::render(&report);
});
