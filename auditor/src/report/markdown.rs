//! The `markdown` format: a sticky pull-request comment.
//!
//! The first line is the hidden marker `<!-- tfaudit -->`, so a CI step can find
//! and update its previous comment; any `--comment-header` text follows it. Then
//! the verdict, a table of changes, a link to the pull request's code scanning
//! alerts (when the repository and pull request are known), and the findings
//! grouped by module, each group a table, modules in the order of their most
//! severe finding. With more than [`FIRST_SCREEN`] findings, the most severe
//! [`FIRST_SCREEN`] come first in one table, and the others are collapsed in a
//! `<details>` section per severity and module (most severe first), so critical
//! findings always come before high ones.
//!
//! GitHub refuses comments longer than 65,536 characters: the whole body counts,
//! header included, so a workflow posts it as it is. When the findings do not
//! fit, the most severe ones are kept, whole rows only, and a note says how many
//! were left out. Table cells escape `|`, backticks and the other characters that
//! would change the table's structure or formatting.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{threshold_name, Report};
use crate::findings::{Finding, Severity};

/// The hidden marker on the first line.
pub const MARKER: &str = "<!-- tfaudit -->";
/// GitHub's limit on a comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

const TABLE_HEAD: &str = "| Severity | Rule | Address | Message | Location |\n\
                          | --- | --- | --- | --- | --- |\n";

/// Renders `report` as a pull-request comment within GitHub's size limit.
pub fn render(report: &Report) -> String {
    render_with_limit(report, GITHUB_COMMENT_LIMIT)
}

/// Renders `report` in at most `limit` bytes (so at most `limit` characters),
/// leaving findings out when needed. The header alone is never cut.
pub fn render_with_limit(report: &Report, limit: usize) -> String {
    let header = header(report);
    let sorted = report.sorted_findings();
    if sorted.is_empty() {
        return format!("{header}\nNo findings.\n");
    }
    let large = sorted.len() > FIRST_SCREEN;

    // The note's size with the largest possible count, so that adding it after
    // choosing the rows can never break the limit; likewise a collapsed
    // section's summary is paid for with the largest count.
    let note_budget = omitted_note(sorted.len()).len();
    let budget = limit.saturating_sub(header.len() + note_budget);

    // Keep the longest run of findings in the global order (most severe first)
    // that fits, paying for a section's heading and table head the first time
    // one of its rows is kept. Stopping at the first row that does not fit keeps
    // a shorter, less severe row from taking the place of a more severe one.
    let mut groups: BTreeMap<ModuleKey, Group> = BTreeMap::new();
    let mut top: Vec<String> = Vec::new();
    let mut collapsed: BTreeMap<(std::cmp::Reverse<Severity>, ModuleKey), Vec<String>> =
        BTreeMap::new();
    let mut used = 0usize;
    let mut kept_count = 0usize;
    for finding in &sorted {
        let key = ModuleKey::of(finding);
        let row = row(finding);
        let opening = if !large {
            match groups.contains_key(&key) {
                true => 0,
                false => group_heading(&key).len() + TABLE_HEAD.len(),
            }
        } else if kept_count < FIRST_SCREEN {
            if top.is_empty() {
                TOP_HEADING.len() + TABLE_HEAD.len()
            } else {
                0
            }
        } else {
            let section = (std::cmp::Reverse(finding.severity), key.clone());
            let more = if collapsed.is_empty() {
                MORE_HEADING.len()
            } else {
                0
            };
            match collapsed.contains_key(&section) {
                true => more,
                false => {
                    more + collapsed_open(finding.severity, &key, sorted.len()).len()
                        + TABLE_HEAD.len()
                        + COLLAPSED_CLOSE.len()
                }
            }
        };
        if used + opening + row.len() > budget {
            break;
        }
        used += opening + row.len();
        if !large {
            groups
                .entry(key)
                .or_insert_with(|| Group {
                    rank: kept_count,
                    rows: Vec::new(),
                })
                .rows
                .push(row);
        } else if kept_count < FIRST_SCREEN {
            top.push(row);
        } else {
            collapsed
                .entry((std::cmp::Reverse(finding.severity), key))
                .or_default()
                .push(row);
        }
        kept_count += 1;
    }
    let left_out = sorted.len() - kept_count;

    let mut out = header;
    // Modules in the order of their most severe finding (the global order's
    // first row of each), so critical findings come first.
    let mut ordered: Vec<(&ModuleKey, &Group)> = groups.iter().collect();
    ordered.sort_by_key(|(_, group)| group.rank);
    for (key, group) in ordered {
        out.push_str(&group_heading(key));
        out.push_str(TABLE_HEAD);
        for row in &group.rows {
            out.push_str(row);
        }
    }
    if !top.is_empty() {
        out.push_str(TOP_HEADING);
        out.push_str(TABLE_HEAD);
        for row in &top {
            out.push_str(row);
        }
    }
    if !collapsed.is_empty() {
        out.push_str(MORE_HEADING);
    }
    for ((std::cmp::Reverse(severity), key), rows) in &collapsed {
        out.push_str(&collapsed_open(*severity, key, rows.len()));
        out.push_str(TABLE_HEAD);
        for row in rows {
            out.push_str(row);
        }
        out.push_str(COLLAPSED_CLOSE);
    }
    if left_out > 0 {
        out.push_str(&omitted_note(left_out));
    }
    out
}

/// How many findings the comment shows before collapsing the rest.
pub const FIRST_SCREEN: usize = 20;

const COLLAPSED_CLOSE: &str = "\n</details>\n";
const TOP_HEADING: &str = "\n#### Most severe findings\n\n";
const MORE_HEADING: &str = "\n#### More findings, by severity and module\n";

/// The kept rows of one module: `rank` is the position of its first row in the
/// global order.
struct Group {
    rank: usize,
    rows: Vec<String>,
}

fn collapsed_open(severity: Severity, key: &ModuleKey, count: usize) -> String {
    let noun = if count == 1 { "finding" } else { "findings" };
    let place = match key {
        ModuleKey::Root => "the root module".to_string(),
        ModuleKey::Module(address) => format!("<code>{}</code>", html(address)),
    };
    format!("\n<details><summary>{count} {severity} {noun} in {place}</summary>\n\n")
}

/// `text` for HTML: `&`, `<`, `>` and quotes as entities, one line (the
/// Markdown comment's details and the advisor's page).
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Groups sort with the root module first, then modules by address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ModuleKey {
    Root,
    Module(String),
}

impl ModuleKey {
    fn of(finding: &Finding) -> ModuleKey {
        if finding.module.is_empty() {
            ModuleKey::Root
        } else {
            ModuleKey::Module(finding.module.clone())
        }
    }
}

fn group_heading(key: &ModuleKey) -> String {
    match key {
        ModuleKey::Root => "\n#### Root module\n\n".to_string(),
        ModuleKey::Module(address) => format!("\n#### Module {}\n\n", code(address)),
    }
}

fn omitted_note(count: usize) -> String {
    let noun = if count == 1 {
        "finding was"
    } else {
        "findings were"
    };
    format!(
        "\n> [!NOTE]\n> {count} {noun} left out to keep this comment within GitHub's size limit; \
         the full list is in the job's `json` or `sarif` report.\n"
    )
}

fn header(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    if let Some(extra) = &report.options.comment_header {
        let extra = extra.trim_end();
        if !extra.is_empty() {
            let _ = writeln!(out, "{extra}");
        }
    }
    let verdict = if report.failed() {
        ":x: **FAIL**"
    } else {
        ":white_check_mark: **PASS**"
    };
    let _ = writeln!(out, "### tfaudit {}: {verdict}", report.command);
    out.push('\n');
    let threshold = threshold_name(report.threshold());
    let failing = report.failing_count();
    let _ = writeln!(
        out,
        "Audited {}; fail threshold **{threshold}**: {failing} finding{} at or above it.",
        code(&report.subject),
        if failing == 1 { "" } else { "s" }
    );

    let changes = report.change_counts();
    if !changes.is_empty() {
        out.push('\n');
        let names: Vec<String> = changes
            .iter()
            .map(|(action, _)| cell(&action.replace('_', "-")))
            .collect();
        let _ = writeln!(out, "| {} |", names.join(" | "));
        let _ = writeln!(out, "|{}", " ---: |".repeat(changes.len()));
        let counts: Vec<String> = changes.iter().map(|(_, count)| count.to_string()).collect();
        let _ = writeln!(out, "| {} |", counts.join(" | "));
    }
    let others = report.other_summary_entries();
    if !others.is_empty() {
        out.push('\n');
        out.push_str("| | |\n| --- | --- |\n");
        for (key, value) in others {
            let _ = writeln!(out, "| {} | {} |", cell(&key), cell(&value));
        }
    }

    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|severity| {
            let count = report
                .findings
                .iter()
                .filter(|f| !f.waived && f.severity == *severity)
                .count();
            format!("{count} {severity}")
        })
        .collect();
    let waived = report.findings.iter().filter(|f| f.waived).count();
    out.push('\n');
    let _ = write!(out, "**Findings:** {}", counts.join(", "));
    if waived > 0 {
        let _ = write!(out, ", {waived} waived");
    }
    out.push('\n');
    if let Some(url) = &report.options.alerts_url {
        let _ = writeln!(
            out,
            "\n[Code scanning alerts of this pull request]({})",
            url.replace(' ', "%20").replace(')', "%29")
        );
    }
    out
}

fn row(finding: &Finding) -> String {
    let severity = if finding.waived {
        format!("~~{}~~ waived", finding.severity)
    } else {
        finding.severity.as_str().to_string()
    };
    let mut message = cell(&finding.message);
    if finding.waived {
        let reason = finding
            .waiver_reason
            .as_deref()
            .unwrap_or("no reason given");
        let _ = write!(message, " (waived: {})", cell(reason));
    }
    let location = finding
        .location
        .as_ref()
        .map(|location| code(&format!("{}:{}", location.file, location.line)))
        .unwrap_or_default();
    format!(
        "| {severity} | {} | {} | {message} | {location} |\n",
        code(finding.rule_id),
        code(&finding.address),
    )
}

/// Plain text for a table cell: one line, with `\`, `|`, backticks and the
/// characters that start Markdown or HTML markup escaped.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' | '#' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` as an inline code span for a table cell: a fence longer than any run of
/// backticks inside, `|` escaped (GitHub reads `\|` as a pipe even in code), one
/// line.
pub fn code(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut longest = 0usize;
    let mut run = 0usize;
    for c in flat.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let padded = if flat.starts_with('`') || flat.ends_with('`') {
        format!(" {flat} ")
    } else {
        flat
    };
    format!("{fence}{}{fence}", padded.replace('|', "\\|"))
}
