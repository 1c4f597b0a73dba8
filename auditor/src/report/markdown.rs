//! The `markdown` format: a sticky pull-request comment.
//!
//! The first line is the hidden marker `<!-- tfaudit -->`, so a CI step can find
//! and update its previous comment. Then the verdict, a table of changes, and the
//! findings grouped by module (root module first), each group a table.
//!
//! GitHub refuses comments longer than 65,536 characters: when the findings do not
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

    // The note's size with the largest possible count, so that adding it after
    // choosing the rows can never break the limit.
    let note_budget = omitted_note(sorted.len()).len();
    let budget = limit.saturating_sub(header.len() + note_budget);

    // Keep the longest run of findings in the global order (most severe first)
    // that fits, paying for a module's heading and table head the first time one
    // of its rows is kept. Stopping at the first row that does not fit keeps a
    // shorter, less severe row from taking the place of a more severe one.
    let mut kept: BTreeMap<ModuleKey, Vec<String>> = BTreeMap::new();
    let mut used = 0usize;
    let mut kept_count = 0usize;
    for finding in &sorted {
        let key = ModuleKey::of(finding);
        let row = row(finding);
        let opening = if kept.contains_key(&key) {
            0
        } else {
            group_heading(&key).len() + TABLE_HEAD.len()
        };
        if used + opening + row.len() > budget {
            break;
        }
        used += opening + row.len();
        kept_count += 1;
        kept.entry(key).or_default().push(row);
    }
    let left_out = sorted.len() - kept_count;

    let mut out = header;
    for (key, rows) in &kept {
        out.push_str(&group_heading(key));
        out.push_str(TABLE_HEAD);
        for row in rows {
            out.push_str(row);
        }
    }
    if left_out > 0 {
        out.push_str(&omitted_note(left_out));
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
