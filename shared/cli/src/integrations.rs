//! `rolegate integrations`: the vendor's registry of integrations (issue
//! 19), read from DynamoDB and listed most urgent first: who is broken,
//! since when. Each record's status is `rolegate_policy::registry::
//! Record::status`, never decided here; this module sorts, filters and
//! renders (pure, [`rows`], [`text`], [`json`]) and, in [`run`], reads the
//! table through `rolegate_aws::registry::Registry::scan` with the usual
//! AWS environment and profile (aws-config's default chain).

use std::time::Duration;

use rolegate_policy::Timestamp;
use rolegate_policy::registry::{Outcome, Record, RegistryError, Status};
use serde::Serialize;
use serde_json::json;

use crate::cli::StatusArg;
use crate::{Outcome as Exit, outln};

/// What `run` needs: where the registry is and what to list.
#[derive(Debug, Clone)]
pub struct IntegrationsArgs {
    pub table: String,
    pub status: Option<StatusArg>,
    pub stale_after: Duration,
    pub json: bool,
}

/// The status as the command line and the JSON spell it.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Failing => "failing",
        Status::NeverValidated => "never-validated",
        Status::Stale => "stale",
        Status::Ok => "ok",
    }
}

impl StatusArg {
    fn status(self) -> Status {
        match self {
            StatusArg::Failing => Status::Failing,
            StatusArg::NeverValidated => Status::NeverValidated,
            StatusArg::Stale => Status::Stale,
            StatusArg::Ok => Status::Ok,
        }
    }
}

/// One integration as listed. No ExternalId: it is a shared secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub account: String,
    pub role_arn: String,
    pub tenant: Option<String>,
    pub status: &'static str,
    /// The check that failed, when failing (`null` when the input was
    /// refused before any check).
    pub failed_check: Option<String>,
    pub failing_since: Option<String>,
    pub consecutive_failures: u32,
    pub last_validated: Option<String>,
    #[serde(skip)]
    order: Status,
}

/// A stored item the registry could not read: its key and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unreadable {
    pub key: String,
    pub error: String,
}

/// The rows of `records` at `now`, those of `only` status if given,
/// failing first, then never validated, stale, ok; by account and role
/// within a status.
pub fn rows(
    records: &[Record],
    now: &Timestamp,
    stale_after: Duration,
    only: Option<Status>,
) -> Vec<Row> {
    let mut rows: Vec<Row> = records
        .iter()
        .map(|r| (r, r.status(now, stale_after)))
        .filter(|(_, status)| only.is_none_or(|o| o == *status))
        .map(|(r, status)| Row {
            account: r.key.account.clone(),
            role_arn: r.key.role_arn.clone(),
            tenant: r.vendor_tenant_id.clone(),
            status: status_name(status),
            failed_check: match &r.last_outcome {
                Some(Outcome::Rejected {
                    failed_check: Some(check),
                    ..
                }) => Some(format!("{check:?}")),
                _ => None,
            },
            failing_since: r.failing_since.as_ref().map(|t| t.to_string()),
            consecutive_failures: r.consecutive_failures,
            last_validated: r.last_validated.as_ref().map(|t| t.to_string()),
            order: status,
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.order, &a.account, &a.role_arn).cmp(&(b.order, &b.account, &b.role_arn))
    });
    rows
}

/// The table a person reads: one line per integration, `-` for nothing.
pub fn text(rows: &[Row], unreadable: &[Unreadable], out: &mut String) {
    if rows.is_empty() {
        outln!(out, "no integrations");
    } else {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        let table: Vec<[String; 8]> = rows
            .iter()
            .map(|r| {
                [
                    r.status.to_owned(),
                    r.account.clone(),
                    r.role_arn.clone(),
                    dash(&r.tenant),
                    dash(&r.failed_check),
                    dash(&r.failing_since),
                    r.consecutive_failures.to_string(),
                    dash(&r.last_validated),
                ]
            })
            .collect();
        let header = [
            "STATUS",
            "ACCOUNT",
            "ROLE",
            "TENANT",
            "FAILED CHECK",
            "FAILING SINCE",
            "FAILURES",
            "LAST VALIDATED",
        ];
        let mut widths = header.map(str::len);
        for line in &table {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: Vec<&str>, out: &mut String| {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            outln!(out, "{}", padded.join("  ").trim_end());
        };
        line(header.to_vec(), out);
        for cells in &table {
            line(cells.iter().map(String::as_str).collect(), out);
        }
    }
    for u in unreadable {
        outln!(out, "unreadable record {}: {}", u.key, u.error);
    }
}

/// `--json`: `{"integrations": [...], "unreadable": [...]}` (docs/CLI-JSON.md).
pub fn json(rows: &[Row], unreadable: &[Unreadable], out: &mut String) {
    let value = json!({ "integrations": rows, "unreadable": unreadable });
    outln!(
        out,
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    );
}

/// Lists the registry. Exit 0 when listed (whatever the statuses: this is
/// a report, not a gate), 2 when the table cannot be read.
pub fn run(args: &IntegrationsArgs, out: &mut String) -> Result<Exit, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let scanned = runtime.block_on(async {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        rolegate_aws::registry::Registry::new(&sdk, &args.table)
            .scan()
            .await
    });
    let scanned = scanned.map_err(|e| e.to_string())?;
    let (records, unreadable) = split(scanned);
    let now = rolegate_aws::now();
    let rows = rows(
        &records,
        &now,
        args.stale_after,
        args.status.map(StatusArg::status),
    );
    if args.json {
        json(&rows, &unreadable, out);
    } else {
        text(&rows, &unreadable, out);
    }
    Ok(Exit::Clean)
}

fn split(scanned: Vec<Result<Record, (String, RegistryError)>>) -> (Vec<Record>, Vec<Unreadable>) {
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for item in scanned {
        match item {
            Ok(r) => records.push(r),
            Err((key, e)) => unreadable.push(Unreadable {
                key,
                error: e.to_string(),
            }),
        }
    }
    (records, unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_policy::events::validation::Check;
    use rolegate_policy::registry::{Registration, record_outcome, register};

    const DAY: Duration = Duration::from_secs(86_400);

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_epoch_seconds(1_790_000_000 + seconds)
    }

    fn record(account: &str, name: &str, outcomes: &[(i64, Option<Outcome>)]) -> Record {
        let registration = Registration {
            role_arn: format!("arn:aws:iam::{account}:role/integrations/{name}"),
            external_id: "the-real-external-id-1234".into(),
            sender_account: Some(account.into()),
            vendor_tenant_id: Some(format!("tenant-{name}")),
        };
        let Ok(write) = register(None, registration, &at(0)) else {
            panic!("register");
        };
        let mut r = write.record;
        for (t, outcome) in outcomes {
            if let Some(o) = outcome
                && let rolegate_policy::registry::Recorded::Write { write, .. } =
                    record_outcome(&r, o.clone(), &at(*t))
            {
                r = write.record;
            }
        }
        r
    }

    fn rejected() -> Option<Outcome> {
        Some(Outcome::Rejected {
            failed_check: Some(Check::DeniedWithoutExternalId),
            reason: "assumable without an ExternalId".into(),
        })
    }

    fn sample() -> Vec<Record> {
        vec![
            record(
                "111111111111",
                "ok",
                &[(10 * DAY.as_secs() as i64, Some(Outcome::Validated))],
            ),
            record("222222222222", "stale", &[(60, Some(Outcome::Validated))]),
            record("333333333333", "new", &[]),
            record(
                "444444444444",
                "broken",
                &[(100, rejected()), (200, rejected())],
            ),
        ]
    }

    #[test]
    fn integrations_are_listed_failing_first_then_never_validated_stale_and_ok() {
        let now = at(10 * DAY.as_secs() as i64 + 60);
        let got: Vec<(&str, String)> = rows(&sample(), &now, DAY, None)
            .into_iter()
            .map(|r| (r.status, r.account))
            .collect();
        assert_eq!(
            got,
            [
                ("failing", "444444444444".to_owned()),
                ("never-validated", "333333333333".to_owned()),
                ("stale", "222222222222".to_owned()),
                ("ok", "111111111111".to_owned()),
            ]
        );
    }

    #[test]
    fn a_failing_row_names_its_check_since_when_and_how_many_times_and_the_filter_keeps_one_status()
    {
        let now = at(10 * DAY.as_secs() as i64 + 60);
        let failing = rows(&sample(), &now, DAY, Some(Status::Failing));
        assert_eq!(failing.len(), 1, "{failing:?}");
        let row = &failing[0];
        assert_eq!(row.failed_check.as_deref(), Some("DeniedWithoutExternalId"));
        assert_eq!(row.failing_since, Some(at(100).to_string()));
        assert_eq!(row.consecutive_failures, 2);
        assert_eq!(row.last_validated, Some(at(200).to_string()));
        assert_eq!(row.tenant.as_deref(), Some("tenant-broken"));
        assert!(
            rows(&sample(), &now, DAY, Some(Status::Ok))
                .iter()
                .all(|r| r.status == "ok")
        );
    }

    #[test]
    fn the_json_is_camel_case_and_never_holds_the_external_id() {
        let now = at(300);
        let mut out = String::new();
        let unreadable = [Unreadable {
            key: "account#5 / role#x".into(),
            error: "Version: is required".into(),
        }];
        json(
            &rows(&sample(), &now, DAY, Some(Status::Failing)),
            &unreadable,
            &mut out,
        );
        let value: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        let row = &value["integrations"][0];
        for key in [
            "account",
            "roleArn",
            "tenant",
            "status",
            "failedCheck",
            "failingSince",
            "consecutiveFailures",
            "lastValidated",
        ] {
            assert!(row.get(key).is_some(), "{key} in {row}");
        }
        assert_eq!(value["unreadable"][0]["key"], "account#5 / role#x");
        assert!(!out.contains("the-real-external-id-1234"), "{out}");
    }

    #[test]
    fn the_text_has_a_header_one_line_per_integration_and_dashes_for_nothing() {
        let now = at(300);
        let mut out = String::new();
        text(&rows(&sample(), &now, DAY, None), &[], &mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert!(lines[0].starts_with("STATUS"), "{out}");
        assert!(lines[1].starts_with("failing") && lines[1].contains("DeniedWithoutExternalId"));
        assert!(
            lines[2].starts_with("never-validated") && lines[2].contains(" - "),
            "{out}"
        );
        let mut empty = String::new();
        text(&[], &[], &mut empty);
        assert_eq!(empty, "no integrations\n");
    }
}
