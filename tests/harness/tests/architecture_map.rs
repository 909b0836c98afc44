//! Keeps `ARCHITECTURE.md` true to the tree: every module file under
//! `shared/*/src` and `functions/*/src` has its line in the code map, and
//! the invariant "every IAM write goes through the executor" holds in the
//! source (no IAM write call outside `shared/aws/src/executor.rs`).
//!
//! The matching is deliberately plain text: a module is named when the
//! page holds it in backticks (`` `name` ``, `` `name/` ``), as a file
//! (`name.rs`) or as the last part of a path (`dir/name`).

use std::fs;
use std::path::{Path, PathBuf};

/// The IAM calls that change a role; only the executor may make them.
const IAM_WRITES: &[&str] = &[
    ".create_role(",
    ".delete_role(",
    ".update_role(",
    ".update_role_description(",
    ".update_assume_role_policy(",
    ".put_role_policy(",
    ".delete_role_policy(",
    ".put_role_permissions_boundary(",
    ".delete_role_permissions_boundary(",
    ".attach_role_policy(",
    ".detach_role_policy(",
    ".tag_role(",
    ".untag_role(",
    ".add_role_to_instance_profile(",
    ".remove_role_from_instance_profile(",
];

/// The one file that may write to IAM.
const EXECUTOR: &str = "shared/aws/src/executor.rs";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`, recursively, as paths relative to the repo.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source files of every crate under `shared/` and `functions/`.
fn source_files() -> Vec<PathBuf> {
    let root = repo();
    let mut files = Vec::new();
    for group in ["shared", "functions"] {
        let Ok(crates) = fs::read_dir(root.join(group)) else {
            continue;
        };
        for krate in crates.flatten() {
            rust_files(&krate.path().join("src"), &mut files);
        }
    }
    files.sort();
    files
}

/// The name a module file goes by: its stem, or its directory's name for a
/// `mod.rs`. `None` for crate roots and test-only files.
fn module_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    match stem {
        "main" | "lib" | "tests" => None,
        "mod" => Some(path.parent()?.file_name()?.to_str()?.to_owned()),
        _ => Some(stem.to_owned()),
    }
}

fn names_module(map: &str, name: &str) -> bool {
    [
        format!("`{name}`"),
        format!("`{name}/"),
        format!("/{name}`"),
        format!("/{name}/"),
        format!("{name}.rs"),
    ]
    .iter()
    .any(|form| map.contains(form.as_str()))
}

#[test]
fn every_module_under_shared_and_functions_has_its_line_in_architecture_md() {
    let root = repo();
    let map =
        fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md is readable");
    let files = source_files();
    assert!(
        files.len() > 50,
        "found only {} source files: is the repository root right?",
        files.len()
    );
    let missing: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let name = module_name(path)?;
            (!names_module(&map, &name)).then(|| {
                let shown = path.strip_prefix(&root).unwrap_or(path).display();
                format!("{shown} (module `{name}`)")
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name these modules; add a line for each:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_iam_write_call_is_in_the_executor() {
    let root = repo();
    let mut outside = Vec::new();
    let mut in_executor = 0;
    for path in source_files() {
        let relative = path.strip_prefix(&root).unwrap_or(&path).to_path_buf();
        let text = fs::read_to_string(&path).expect("source file is readable");
        for (number, line) in text.lines().enumerate() {
            for call in IAM_WRITES.iter().filter(|call| line.contains(*call)) {
                if relative == Path::new(EXECUTOR) {
                    in_executor += 1;
                } else {
                    outside.push(format!("{}:{}: {call}", relative.display(), number + 1));
                }
            }
        }
    }
    assert!(
        outside.is_empty(),
        "IAM writes outside {EXECUTOR} (every IAM write goes through the executor, ARCHITECTURE.md):\n  {}",
        outside.join("\n  ")
    );
    assert!(
        in_executor > 0,
        "no IAM write call found in {EXECUTOR}: has the executor moved? Update this test"
    );
}
