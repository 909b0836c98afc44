//! `rolegate render --format markdown`: a security reviewer's summary of
//! the roles a spec (or a template) creates, to paste into a review.
//!
//! Per role: the trust (who may assume it, under which conditions, the
//! ExternalId masked as the demo masks it), a table of service, access
//! level (from IAM's action database), actions, resources and conditions,
//! then the permissions boundary. Several roles rendered together get
//! their trust chain first, as a Mermaid flowchart ([`super::chain`]),
//! which GitHub and most review tools draw. Golden files under
//! `tests/golden/markdown/` hold the output for every fixture spec.

use std::fmt::Write as _;

use rolegate_policy::document::Effect;

use super::RenderedRole;
use super::chain::{chain, mermaid};
use super::summary::{PermissionRow, RoleSummary, TrustEntry, summarize};

/// The summary of `roles`, rendered together.
pub fn markdown(roles: &[RenderedRole<'_>]) -> String {
    let mut out = String::from("# Integration roles\n");
    if roles.len() > 1 {
        out.push_str("\n## Trust chain\n\n");
        out.push_str(
            "An arrow from A to B: A may assume B. \"assumes\": B's trust names A and A's policies allow it; a dotted arrow: only one of the two holds, so the chain fails there.\n\n",
        );
        out.push_str("```mermaid\n");
        out.push_str(&mermaid(&chain(roles)));
        out.push_str("```\n");
    }
    for r in roles {
        role(&mut out, &summarize(r));
    }
    out
}

fn role(out: &mut String, s: &RoleSummary) {
    let _ = writeln!(out, "\n## Role {}\n", code(&s.name));
    let _ = writeln!(out, "- ARN: {}", code(&s.arn));
    if let Some(id) = &s.logical_id {
        let _ = writeln!(out, "- Template resource: {}", code(id));
    }
    if let Some(d) = &s.description {
        let _ = writeln!(out, "- Description: {}", inline(d));
    }
    let _ = writeln!(out, "- Maximum session: {} s", s.max_session_duration);
    let _ = writeln!(out, "- Policy digest: {}", code(&s.digest));

    out.push_str("\n### Trust\n\n");
    if s.trust.is_empty() {
        out.push_str("No one may assume this role.\n");
    }
    for t in &s.trust {
        trust(out, t);
    }

    out.push_str("\n### Permissions\n\n");
    if s.permissions.is_empty() {
        out.push_str("No inline policies: the role may do nothing.\n");
    } else {
        out.push_str("| Service | Access | Actions | Resources | Conditions |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for row in &s.permissions {
            permission(out, row);
        }
    }

    out.push_str("\n### Permissions boundary\n\n");
    match &s.boundary {
        Some((arn, source)) => {
            let _ = writeln!(
                out,
                "{} (source: {}). The role can use no permission the boundary does not also allow.",
                code(arn),
                inline(source)
            );
        }
        None => out.push_str("None: the role's own policies are its only limit.\n"),
    }
}

fn trust(out: &mut String, t: &TrustEntry) {
    let who: Vec<String> = t
        .principals
        .iter()
        .map(|(kind, value)| format!("{kind} {}", code(value)))
        .collect();
    let who = if t.all_but {
        format!("everyone except {}", who.join(", "))
    } else if who.is_empty() {
        "no principal".to_owned()
    } else {
        who.join(", ")
    };
    let actions: Vec<String> = t.actions.iter().map(|a| code(a)).collect();
    let verb = match t.effect {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    };
    let _ = writeln!(out, "- **{verb}** {} to {who}", actions.join(", "));
    if t.conditions.is_empty() {
        out.push_str("  - with no conditions\n");
    }
    for c in &t.conditions {
        let _ = writeln!(out, "  - when {}", code(c));
    }
}

fn permission(out: &mut String, row: &PermissionRow) {
    let mut access = row.access.join(", ");
    if row.effect == Effect::Deny {
        access = format!("**Deny** {access}");
    }
    let actions = cell_list(&row.actions, row.all_actions_but);
    let resources = if row.resources.is_empty() {
        "none".to_owned()
    } else {
        cell_list(&row.resources, row.all_resources_but)
    };
    let conditions = if row.conditions.is_empty() {
        "none".to_owned()
    } else {
        cell_list(&row.conditions, false)
    };
    let _ = writeln!(
        out,
        "| {} | {} | {actions} | {resources} | {conditions} |",
        cell(&row.service),
        cell(&access)
    );
}

/// Values in code spans, one per line of the cell.
fn cell_list(values: &[String], all_but: bool) -> String {
    let items: Vec<String> = values.iter().map(|v| cell(&code(v))).collect();
    let joined = items.join("<br>");
    if all_but {
        format!("all except {joined}")
    } else {
        joined
    }
}

/// Text a table cell can hold: `|` escaped, line breaks as `<br>`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

/// A code span that a backtick in the text cannot close early.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// Prose on one line, where markdown's own characters would be read.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_in_a_cell_is_escaped_so_the_table_keeps_its_columns() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
    }

    #[test]
    fn a_backtick_cannot_close_a_code_span_early() {
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("ab"), "`ab`");
    }

    #[test]
    fn prose_markup_is_escaped() {
        assert_eq!(inline("a *b* <c>"), "a \\*b\\* \\<c\\>");
    }
}
