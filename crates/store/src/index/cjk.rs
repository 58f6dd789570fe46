//! CJK text as overlapping bigrams, so FTS5's unicode61 tokenizer (which
//! reads a run of CJK characters as one word) can find a word inside it.

/// Whether `c` is written without spaces between words: Han, Hiragana,
/// Katakana, Hangul and their punctuation-free neighbours.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK Extension A
        | 0x4E00..=0x9FFF // CJK Unified Ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x20000..=0x2FFFF)
}

/// Each run of CJK characters in `text` as its overlapping bigrams, separated
/// by spaces (`東京で会議` → `東京 京で で会 会議`); a run of one character is
/// kept as it is. Everything else is dropped.
pub(crate) fn bigrams(text: &str) -> String {
    let mut out = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        match run.len() {
            0 => {}
            1 => push_word(out, run.iter()),
            _ => {
                for pair in run.windows(2) {
                    push_word(out, pair.iter());
                }
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn push_word<'a>(out: &mut String, chars: impl Iterator<Item = &'a char>) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.extend(chars);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_become_overlapping_bigrams() {
        assert_eq!(bigrams("東京で会議"), "東京 京で で会 会議");
        assert_eq!(bigrams("meeting 会議 at 3"), "会議");
        assert_eq!(bigrams("a 会 b"), "会");
        assert_eq!(bigrams("no cjk here"), "");
        assert_eq!(bigrams("회의 일정"), "회의 일정");
    }
}
