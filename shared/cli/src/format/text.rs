//! `rolegate render --format text`: the reviewer's summary (the markdown
//! view's content) for a terminal.
//!
//! Colour is decided once, outside: [`Style::detect`] colours only when
//! standard output is a terminal and `NO_COLOR` is unset or empty
//! (<https://no-color.org>); [`render_text`] takes the decision, so both
//! modes are tested without a terminal.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::IsTerminal;

use anstyle::{AnsiColor, Effects};
use rolegate_policy::document::Effect;

use super::RenderedRole;
use super::chain::{Link, chain};
use super::summary::{PermissionRow, RoleSummary, summarize};

/// Whether to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };
    pub const COLOR: Style = Style { color: true };

    /// Colour when standard output is a terminal and `NO_COLOR` is not set.
    pub fn detect() -> Style {
        Style::decide(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    /// no-color.org: `NO_COLOR` set to any non-empty value turns colour
    /// off; an empty one does not count.
    pub fn decide(is_terminal: bool, no_color: Option<&OsStr>) -> Style {
        if is_terminal && no_color.is_none_or(OsStr::is_empty) {
            Style::COLOR
        } else {
            Style::PLAIN
        }
    }

    fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn heading(self, text: &str) -> String {
        self.paint(
            anstyle::Style::new().effects(Effects::BOLD | Effects::UNDERLINE),
            text,
        )
    }

    fn strong(self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::BOLD), text)
    }

    fn name(self, text: &str) -> String {
        self.paint(
            anstyle::Style::new().fg_color(Some(AnsiColor::Cyan.into())),
            text,
        )
    }

    fn warn(self, text: &str) -> String {
        self.paint(
            anstyle::Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            text,
        )
    }

    fn deny(self, text: &str) -> String {
        self.paint(
            anstyle::Style::new()
                .fg_color(Some(AnsiColor::Red.into()))
                .effects(Effects::BOLD),
            text,
        )
    }

    fn dim(self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::DIMMED), text)
    }
}

/// The summary of `roles` for a terminal.
pub fn render_text(roles: &[RenderedRole<'_>], style: Style) -> String {
    let mut out = String::new();
    if roles.len() > 1 {
        let c = chain(roles);
        let _ = writeln!(out, "{}", style.heading("Trust chain"));
        for e in &c.edges {
            let (from, to) = (&c.nodes[e.from].label, &c.nodes[e.to].label);
            let how = match e.link {
                Link::Assumes => style.strong("assumes"),
                Link::Trusted { a_rendered: false } => "is trusted by".to_owned(),
                Link::Trusted { a_rendered: true } => {
                    style.warn("is trusted by, but its policies do not allow assuming,")
                }
                Link::Allowed => "may assume".to_owned(),
                Link::AllowedNotTrusted => style.warn("may assume, but is not trusted by,"),
            };
            let _ = writeln!(
                out,
                "  {} {how} {}",
                style.name(&one_line(from)),
                style.name(&one_line(to))
            );
        }
        out.push('\n');
    }
    for (i, r) in roles.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        role(&mut out, &summarize(r), style);
    }
    out
}

fn role(out: &mut String, s: &RoleSummary, style: Style) {
    let _ = writeln!(out, "{} {}", style.heading("Role"), style.strong(&s.name));
    let _ = writeln!(out, "  ARN              {}", s.arn);
    if let Some(id) = &s.logical_id {
        let _ = writeln!(out, "  Resource         {id}");
    }
    if let Some(d) = &s.description {
        let _ = writeln!(out, "  Description      {}", one_line(d));
    }
    let _ = writeln!(out, "  Maximum session  {} s", s.max_session_duration);
    let _ = writeln!(out, "  Policy digest    {}", style.dim(&s.digest));

    let _ = writeln!(out, "\n{}", style.heading("Trust"));
    if s.trust.is_empty() {
        out.push_str("  no one may assume this role\n");
    }
    for t in &s.trust {
        let verb = match t.effect {
            Effect::Allow => style.strong("Allow"),
            Effect::Deny => style.deny("Deny"),
        };
        let who: Vec<String> = t
            .principals
            .iter()
            .map(|(kind, value)| format!("{kind} {}", style.name(value)))
            .collect();
        let who = if t.all_but {
            format!("everyone except {}", who.join(", "))
        } else {
            who.join(", ")
        };
        let _ = writeln!(out, "  {verb} {} to {who}", t.actions.join(", "));
        if t.conditions.is_empty() {
            out.push_str("    with no conditions\n");
        }
        for c in &t.conditions {
            let _ = writeln!(out, "    when {c}");
        }
    }

    let _ = writeln!(out, "\n{}", style.heading("Permissions"));
    if s.permissions.is_empty() {
        out.push_str("  no inline policies: the role may do nothing\n");
    }
    for row in &s.permissions {
        permission(out, row, style);
    }

    let _ = writeln!(out, "\n{}", style.heading("Permissions boundary"));
    match &s.boundary {
        Some((arn, source)) => {
            let _ = writeln!(out, "  {arn} (source: {source})");
        }
        None => out.push_str("  none\n"),
    }
}

fn permission(out: &mut String, row: &PermissionRow, style: Style) {
    let access: Vec<String> = row
        .access
        .iter()
        .map(|level| match level.as_str() {
            "Write" | "Permissions management" | "unknown" => style.warn(level),
            _ => level.clone(),
        })
        .collect();
    let effect = match row.effect {
        Effect::Allow => String::new(),
        Effect::Deny => format!("{} ", style.deny("Deny")),
    };
    let _ = writeln!(
        out,
        "  {effect}{}  {}",
        style.strong(&row.service),
        access.join(", ")
    );
    let except = |all_but: bool| if all_but { "all except " } else { "" };
    let _ = writeln!(
        out,
        "    actions     {}{}",
        except(row.all_actions_but),
        row.actions.join(", ")
    );
    let resources = if row.resources.is_empty() {
        "none".to_owned()
    } else {
        row.resources.join(", ")
    };
    let _ = writeln!(
        out,
        "    resources   {}{resources}",
        except(row.all_resources_but)
    );
    let conditions = if row.conditions.is_empty() {
        "none".to_owned()
    } else {
        row.conditions.join("; ")
    };
    let _ = writeln!(out, "    conditions  {conditions}");
}

/// A chain label's line break as a space.
fn one_line(label: &str) -> String {
    label.replace("<br/>", " ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert_eq!(Style::decide(true, None), Style::COLOR);
        assert_eq!(Style::decide(false, None), Style::PLAIN);
        assert_eq!(Style::decide(true, Some(OsStr::new("1"))), Style::PLAIN);
        // no-color.org: an empty NO_COLOR does not turn colour off.
        assert_eq!(Style::decide(true, Some(OsStr::new(""))), Style::COLOR);
    }

    #[test]
    fn plain_style_writes_no_escape_codes_and_colour_does() {
        assert_eq!(Style::PLAIN.heading("Trust"), "Trust");
        let painted = Style::COLOR.heading("Trust");
        assert!(
            painted.starts_with('\u{1b}') && painted.contains("Trust"),
            "{painted:?}"
        );
    }
}
