//! Compresses the IAM action database for embedding (issue 20, item 7: the
//! release bootstraps' size).
//!
//! `data/actions.tsv` stays the reviewed source (1.2 MB of text); what the
//! binary embeds is each service's section deflated on its own (about
//! 0.27 MB in all), so `actiondb` inflates only the sections a run looks
//! up, the first time it looks each one up. Writes to `OUT_DIR`:
//! `actions.deflate` (the sections, one after another) and
//! `actions_index.rs` (the header line and, per service in file order, its
//! prefix, the byte range of its deflated section and its length inflated).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

const SOURCE: &str = "data/actions.tsv";
/// miniz_oxide's highest level short of its slow "uber" mode.
const LEVEL: u8 = 9;

fn main() {
    println!("cargo::rerun-if-changed={SOURCE}");
    println!("cargo::rerun-if-changed=build.rs");
    let text = match fs::read_to_string(SOURCE) {
        Ok(t) => t,
        Err(e) => panic!("{SOURCE}: {e}"),
    };
    let (header, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));

    // Each `S\t<prefix>` line opens a section that runs to the next one.
    let mut sections: Vec<(&str, String)> = Vec::new();
    for line in body.split_inclusive('\n') {
        if let Some(prefix) = line.strip_prefix("S\t") {
            sections.push((prefix.trim_end(), String::new()));
        } else if let Some((_, section)) = sections.last_mut() {
            section.push_str(line);
        }
    }

    let mut blob = Vec::new();
    let mut index = String::new();
    let _ = writeln!(index, "const HEADER: &str = {header:?};");
    let _ = writeln!(index, "const SECTIONS: &[(&str, usize, usize, usize)] = &[");
    for (prefix, section) in &sections {
        let start = blob.len();
        blob.extend(miniz_oxide::deflate::compress_to_vec(
            section.as_bytes(),
            LEVEL,
        ));
        let _ = writeln!(
            index,
            "    ({prefix:?}, {start}, {}, {}),",
            blob.len(),
            section.len()
        );
    }
    index.push_str("];\n");

    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    for (name, bytes) in [
        ("actions.deflate", blob.as_slice()),
        ("actions_index.rs", index.as_bytes()),
    ] {
        if let Err(e) = fs::write(out.join(name), bytes) {
            panic!("{name}: {e}");
        }
    }
}
