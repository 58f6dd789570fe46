//! Tests of [`super::parse`]: the language, its errors, hostile input, and
//! properties (no panics, printing a tree and parsing it back).

use proptest::prelude::*;

use super::*;
use crate::calendar::civil_from_days;

/// 2024-06-15T12:00:00Z, a Saturday.
const NOW: i64 = 1_718_452_800;
const DAY: i64 = 86_400;

fn q(query: &str) -> Query {
    parse(query, NOW).unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

fn err(query: &str) -> String {
    match parse(query, NOW) {
        Ok(tree) => panic!("{query:?} parsed: {tree:?}"),
        Err(e) => e.to_string(),
    }
}

fn text(field: Option<TextField>, text: &str, kind: TextKind) -> Query {
    Query::Term(Term::Text(TextTerm {
        field,
        text: text.to_owned(),
        kind,
    }))
}

fn w(s: &str) -> Query {
    text(None, s, TextKind::Word)
}

fn not(q: Query) -> Query {
    Query::Not(Box::new(q))
}

fn term(t: Term) -> Query {
    Query::Term(t)
}

#[test]
fn words_phrases_and_prefixes() {
    assert_eq!(q("report"), w("report"));
    assert_eq!(
        q("  budget  2024 "),
        Query::And(vec![w("budget"), w("2024")])
    );
    assert_eq!(
        q("\"quarterly report\""),
        text(None, "quarterly report", TextKind::Phrase)
    );
    assert_eq!(q("warr*"), text(None, "warr", TextKind::Prefix));
    assert_eq!(q("warr***"), text(None, "warr", TextKind::Prefix));
    // A star inside a word is text; inside quotes too.
    assert_eq!(q("wa*rr"), w("wa*rr"));
    assert_eq!(q("\"warr*\""), text(None, "warr*", TextKind::Phrase));
}

#[test]
fn unicode_words_are_ordinary_terms() {
    assert_eq!(
        q("会議 Привет café naïve Ελλάδα"),
        Query::And(vec![
            w("会議"),
            w("Привет"),
            w("café"),
            w("naïve"),
            w("Ελλάδα")
        ])
    );
    assert_eq!(
        q("明日の午後に東京で会議があります"),
        w("明日の午後に東京で会議があります")
    );
    assert_eq!(
        q("subject:会議*"),
        text(Some(TextField::Subject), "会議", TextKind::Prefix)
    );
    // U+3000 ideographic space separates words.
    assert_eq!(
        q("東京\u{3000}会議"),
        Query::And(vec![w("東京"), w("会議")])
    );
}

#[test]
fn text_fields() {
    assert_eq!(
        q("from:alice@example.org"),
        text(Some(TextField::From), "alice@example.org", TextKind::Word)
    );
    assert_eq!(
        q("to:\"Bob Smith\""),
        text(Some(TextField::To), "Bob Smith", TextKind::Phrase)
    );
    assert_eq!(
        q("CC:carol"),
        text(Some(TextField::Cc), "carol", TextKind::Word)
    );
    assert_eq!(
        q("Subject:re:hello"),
        text(Some(TextField::Subject), "re:hello", TextKind::Word)
    );
    assert_eq!(
        q("filename:*.pdf"),
        text(Some(TextField::Filename), "*.pdf", TextKind::Word)
    );
    assert_eq!(
        q("filename:invoice*"),
        text(Some(TextField::Filename), "invoice", TextKind::Prefix)
    );
    // The value of a field is one word; what follows is another term.
    assert_eq!(
        q("from:\"Bob\"smith"),
        Query::And(vec![
            text(Some(TextField::From), "Bob", TextKind::Phrase),
            w("smith")
        ])
    );
}

#[test]
fn unknown_fields_are_plain_words() {
    assert_eq!(q("foo:bar"), w("foo:bar"));
    assert_eq!(q("https://example.org/x"), w("https://example.org/x"));
    assert_eq!(q("label:work"), w("label:work"));
    assert_eq!(q(":"), w(":"));
    assert_eq!(q("10:30"), w("10:30"));
}

#[test]
fn folders_flags_and_attachments() {
    assert_eq!(q("in:INBOX"), term(Term::Folder("INBOX".into())));
    assert_eq!(
        q("in:\"Work/Q1 Plans\""),
        term(Term::Folder("Work/Q1 Plans".into()))
    );
    assert_eq!(
        q("in:Archiv/2023*"),
        term(Term::Folder("Archiv/2023*".into()))
    );
    assert_eq!(q("has:attachment"), term(Term::HasAttachment));
    assert_eq!(q("HAS:Attachment"), term(Term::HasAttachment));
    for (value, status) in [
        ("unread", Status::Unread),
        ("read", Status::Read),
        ("flagged", Status::Flagged),
        ("ANSWERED", Status::Answered),
    ] {
        assert_eq!(q(&format!("is:{value}")), term(Term::Is(status)));
    }
}

#[test]
fn absolute_dates_are_utc_midnights() {
    assert_eq!(
        q("before:2024-03-01"),
        term(Term::Date(DateBound::Before(1_709_251_200)))
    );
    assert_eq!(
        q("after:2024/03/01"),
        term(Term::Date(DateBound::Since(1_709_251_200)))
    );
    assert_eq!(
        q("after:2024-01-01 before:2024-02-01"),
        Query::And(vec![
            term(Term::Date(DateBound::Since(1_704_067_200))),
            term(Term::Date(DateBound::Before(1_706_745_600))),
        ])
    );
}

#[test]
fn relative_dates_count_back_from_now() {
    assert_eq!(
        q("newer_than:7d"),
        term(Term::Date(DateBound::Since(NOW - 7 * DAY)))
    );
    assert_eq!(
        q("older_than:2D"),
        term(Term::Date(DateBound::Before(NOW - 2 * DAY)))
    );
    // 2024-06-15 − 1 month = 2024-05-15 (31 days); − 1 year = 2023-06-15 (366 days).
    assert_eq!(
        q("newer_than:1m"),
        term(Term::Date(DateBound::Since(NOW - 31 * DAY)))
    );
    assert_eq!(
        q("older_than:1y"),
        term(Term::Date(DateBound::Before(NOW - 366 * DAY)))
    );
    // Another `now`, another bound: core never reads the clock.
    assert_eq!(
        parse("newer_than:1d", 0).unwrap(),
        term(Term::Date(DateBound::Since(-DAY)))
    );
}

#[test]
fn sizes() {
    assert_eq!(q("larger:5M"), term(Term::Size(SizeBound::Larger(5 << 20))));
    assert_eq!(
        q("smaller:500k"),
        term(Term::Size(SizeBound::Smaller(500 << 10)))
    );
    assert_eq!(q("larger:1G"), term(Term::Size(SizeBound::Larger(1 << 30))));
    assert_eq!(q("larger:1000"), term(Term::Size(SizeBound::Larger(1000))));
}

#[test]
fn boolean_operators_and_precedence() {
    assert_eq!(q("a AND b"), Query::And(vec![w("a"), w("b")]));
    assert_eq!(q("a OR b"), Query::Or(vec![w("a"), w("b")]));
    // OR binds loosest: `a b OR c` is `(a b) OR c`.
    assert_eq!(
        q("a b OR c"),
        Query::Or(vec![Query::And(vec![w("a"), w("b")]), w("c")])
    );
    assert_eq!(
        q("a (b OR c)"),
        Query::And(vec![w("a"), Query::Or(vec![w("b"), w("c")])])
    );
    // NOT binds tightest.
    assert_eq!(q("NOT a b"), Query::And(vec![not(w("a")), w("b")]));
    assert_eq!(
        q("a OR NOT b c"),
        Query::Or(vec![w("a"), Query::And(vec![not(w("b")), w("c")])])
    );
    // Lower-case operators are words.
    assert_eq!(
        q("rock and roll or not"),
        Query::And(vec![w("rock"), w("and"), w("roll"), w("or"), w("not")])
    );
}

#[test]
fn nested_groups_of_one_kind_are_flattened() {
    assert_eq!(
        q("a (b c) AND (d)"),
        Query::And(vec![w("a"), w("b"), w("c"), w("d")])
    );
    assert_eq!(
        q("(a OR b) OR (c OR d)"),
        Query::Or(vec![w("a"), w("b"), w("c"), w("d")])
    );
    assert_eq!(q("((((a))))"), w("a"));
}

#[test]
fn negation() {
    assert_eq!(q("-spam"), not(w("spam")));
    assert_eq!(
        q("-from:boss@example.org"),
        not(text(
            Some(TextField::From),
            "boss@example.org",
            TextKind::Word
        ))
    );
    assert_eq!(q("-is:read"), not(term(Term::Is(Status::Read))));
    assert_eq!(
        q("report -(draft OR old)"),
        Query::And(vec![
            w("report"),
            not(Query::Or(vec![w("draft"), w("old")]))
        ])
    );
    assert_eq!(q("--a"), not(not(w("a"))));
    assert_eq!(q("NOT -a"), not(not(w("a"))));
    assert_eq!(q("-\"x y\""), not(text(None, "x y", TextKind::Phrase)));
    // A hyphen inside a word is part of it.
    assert_eq!(q("e-mail"), w("e-mail"));
}

#[test]
fn the_example_error_reads_as_documented() {
    let e = parse("before:2024-13-01", NOW).unwrap_err();
    assert_eq!(e.position, 7);
    assert_eq!(e.expected, "a date YYYY-MM-DD after \"before:\"");
    assert_eq!(e.found, "\"2024-13-01\"");
    assert_eq!(
        e.to_string(),
        "at position 7: expected a date YYYY-MM-DD after \"before:\", found \"2024-13-01\""
    );
}

#[test]
fn errors_name_the_position_and_what_was_expected() {
    for (query, message) in [
        (
            "",
            "at position 0: expected a search term, found end of query",
        ),
        (
            "   ",
            "at position 3: expected a search term, found end of query",
        ),
        (
            "(a b",
            "at position 4: expected \")\" to close the \"(\" at position 0, found end of query",
        ),
        (
            "a (b (c)",
            "at position 8: expected \")\" to close the \"(\" at position 2, found end of query",
        ),
        (
            "a b)",
            "at position 3: expected a term or the end of the query, found \")\" with no \"(\" before it",
        ),
        (
            "()",
            "at position 1: expected a term after \"(\", found \")\"",
        ),
        (
            "say \"hello",
            "at position 10: expected a closing '\"' for the quote at position 4, found end of query",
        ),
        (
            "\"\"",
            "at position 0: expected some text between the quotes, found \"\\\"\\\"\"",
        ),
        (
            "is:unknown",
            "at position 3: expected one of \"unread\", \"read\", \"flagged\", \"answered\" after \"is:\", found \"unknown\"",
        ),
        (
            "has:pdf",
            "at position 4: expected \"attachment\" after \"has:\", found \"pdf\"",
        ),
        (
            "x after:2024-02-30",
            "at position 8: expected a date YYYY-MM-DD after \"after:\", found \"2024-02-30\"",
        ),
        (
            "newer_than:7w",
            "at position 11: expected a duration such as 7d, 3m or 1y after \"newer_than:\", found \"7w\"",
        ),
        (
            "older_than:99999999999y",
            "at position 11: expected a duration such as 7d, 3m or 1y after \"older_than:\", found \"99999999999y\"",
        ),
        (
            "larger:5T",
            "at position 7: expected a size such as 500K or 5M after \"larger:\", found \"5T\"",
        ),
        (
            "smaller:-1",
            "at position 8: expected a size such as 500K or 5M after \"smaller:\", found \"-1\"",
        ),
        (
            "a AND",
            "at position 5: expected a term after \"AND\", found end of query",
        ),
        (
            "a OR",
            "at position 4: expected a term after \"OR\", found end of query",
        ),
        (
            "NOT",
            "at position 3: expected a term after \"NOT\", found end of query",
        ),
        (
            "OR a",
            "at position 0: expected a search term, found \"OR\"",
        ),
        (
            "AND a",
            "at position 0: expected a search term, found \"AND\"",
        ),
        (
            "a OR OR b",
            "at position 5: expected a term after \"OR\", found \"OR\"",
        ),
        (
            "a AND OR b",
            "at position 6: expected a term after \"AND\", found \"OR\"",
        ),
        (
            "a NOT",
            "at position 5: expected a term after \"NOT\", found end of query",
        ),
        (
            "(a OR)",
            "at position 5: expected a term after \"OR\", found \")\"",
        ),
        (
            "a -",
            "at position 3: expected a term after \"-\", found end of query",
        ),
        (
            "*",
            "at position 0: expected a word before \"*\", found \"*\"",
        ),
        (
            "from:**",
            "at position 5: expected a word before \"*\", found \"**\"",
        ),
        (
            "from:",
            "at position 5: expected a value after \"from:\", found end of query",
        ),
        (
            "in: x",
            "at position 3: expected a value after \"in:\", found a space",
        ),
    ] {
        assert_eq!(err(query), message, "{query:?}");
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(q(&deep(64)), w("a"));
    assert_eq!(
        err(&deep(65)),
        "at position 64: expected at most 64 nested parentheses and negations, found more"
    );
    assert!(parse(&format!("{}a", "NOT ".repeat(65)), NOW).is_err());
    assert!(parse(&format!("{}a", "-".repeat(100_000)), NOW).is_err());
    assert!(parse(&"(".repeat(100_000), NOW).is_err());
    // Long flat queries are no problem.
    let long = vec!["a"; 10_000].join(" OR ");
    assert!(matches!(q(&long), Query::Or(v) if v.len() == 10_000));
}

#[test]
fn hostile_input_is_text_or_a_clean_error() {
    // FTS5 syntax typed by the user is only ever text in a term.
    for (query, word) in [
        ("NEAR(a b)", "NEAR"),
        ("^start", "^start"),
        ("col:value", "col:value"),
        ("body:x", "body:x"),
        ("{from subject}:x", "{from"),
        ("a+b", "a+b"),
    ] {
        let tree = q(query);
        let first = match &tree {
            Query::And(items) => items[0].clone(),
            other => other.clone(),
        };
        let Query::Term(Term::Text(t)) = first else {
            panic!("{query:?}: {tree:?}")
        };
        assert_eq!(t.text, word);
        assert!(t.fts5_operand().starts_with('"'));
    }
    // A quote can only open or close a phrase; a lone one is an error.
    assert!(parse("\"", NOW).is_err());
    assert!(parse("a\"b", NOW).is_err());
    // NUL and other control characters separate words, and never reach a term.
    assert_eq!(q("a\u{0}b"), Query::And(vec![w("a"), w("b")]));
    assert!(parse("\u{0}", NOW).is_err());
    assert_eq!(q("\"a\u{0}b\""), text(None, "a b", TextKind::Phrase));
    // Errors quote control characters escaped, on one line.
    let e = err("is:\u{1b}[31m");
    assert!(!e.contains('\u{1b}'), "{e}");
}

// ---- properties ----------------------------------------------------------

/// Prints a tree as a query that parses back to it (once normalised).
fn print(query: &Query) -> String {
    let group = |q: &Query| match q {
        Query::And(_) | Query::Or(_) => format!("({})", print(q)),
        _ => print(q),
    };
    match query {
        Query::Term(t) => print_term(t),
        Query::Not(inner) => format!("NOT {}", group(inner)),
        Query::And(items) => items.iter().map(group).collect::<Vec<_>>().join(" "),
        Query::Or(items) => items.iter().map(group).collect::<Vec<_>>().join(" OR "),
    }
}

fn print_term(term: &Term) -> String {
    let day = |t: &i64| {
        let (y, m, d) = civil_from_days(t.div_euclid(DAY));
        format!("{y:04}-{m:02}-{d:02}")
    };
    match term {
        Term::Text(t) => {
            let field = match t.field {
                None => "",
                Some(TextField::From) => "from:",
                Some(TextField::To) => "to:",
                Some(TextField::Cc) => "cc:",
                Some(TextField::Subject) => "subject:",
                Some(TextField::Filename) => "filename:",
            };
            match t.kind {
                TextKind::Word => format!("{field}{}", t.text),
                TextKind::Prefix => format!("{field}{}*", t.text),
                TextKind::Phrase => format!("{field}\"{}\"", t.text),
            }
        }
        Term::Folder(f) => format!("in:\"{f}\""),
        Term::HasAttachment => "has:attachment".into(),
        Term::Is(s) => format!("is:{}", format!("{s:?}").to_lowercase()),
        Term::Date(DateBound::Before(t)) => format!("before:{}", day(t)),
        Term::Date(DateBound::Since(t)) => format!("after:{}", day(t)),
        Term::Size(SizeBound::Larger(n)) => format!("larger:{n}"),
        Term::Size(SizeBound::Smaller(n)) => format!("smaller:{n}"),
    }
}

/// What the parser makes of a tree: `And` in `And` and `Or` in `Or` flattened.
fn normalise(query: Query) -> Query {
    match query {
        Query::Term(t) => Query::Term(t),
        Query::Not(inner) => not(normalise(*inner)),
        Query::And(items) => Query::And(
            items
                .into_iter()
                .map(normalise)
                .flat_map(|q| match q {
                    Query::And(inner) => inner,
                    other => vec![other],
                })
                .collect(),
        ),
        Query::Or(items) => Query::Or(
            items
                .into_iter()
                .map(normalise)
                .flat_map(|q| match q {
                    Query::Or(inner) => inner,
                    other => vec![other],
                })
                .collect(),
        ),
    }
}

fn arb_text_field() -> impl Strategy<Value = Option<TextField>> {
    prop_oneof![
        Just(None),
        Just(Some(TextField::From)),
        Just(Some(TextField::To)),
        Just(Some(TextField::Cc)),
        Just(Some(TextField::Subject)),
        Just(Some(TextField::Filename)),
    ]
}

fn arb_term() -> impl Strategy<Value = Term> {
    let word = "[a-zé会議Ж0-9@._-]{0,6}[a-zé会議Ж0-9]";
    let phrase = "[a-zé会議Ж]([a-zé会議Ж :*()-]{0,8}[a-zé会議Ж])?";
    let status = prop_oneof![
        Just(Status::Unread),
        Just(Status::Read),
        Just(Status::Flagged),
        Just(Status::Answered),
    ];
    prop_oneof![
        (arb_text_field(), word).prop_map(|(field, text)| Term::Text(TextTerm {
            field,
            text,
            kind: TextKind::Word
        })),
        (arb_text_field(), word).prop_map(|(field, text)| Term::Text(TextTerm {
            field,
            text,
            kind: TextKind::Prefix
        })),
        (arb_text_field(), phrase).prop_map(|(field, text)| Term::Text(TextTerm {
            field,
            text,
            kind: TextKind::Phrase
        })),
        "[A-Za-z0-9/]([A-Za-z0-9/. ()-]{0,8}[A-Za-z0-9])?".prop_map(Term::Folder),
        Just(Term::HasAttachment),
        status.prop_map(Term::Is),
        (0i64..2_932_896, any::<bool>()).prop_map(|(days, before)| {
            // Years 1970–9999.
            let at = days * DAY;
            Term::Date(if before {
                DateBound::Before(at)
            } else {
                DateBound::Since(at)
            })
        }),
        (any::<u64>(), any::<bool>()).prop_map(|(n, larger)| Term::Size(if larger {
            SizeBound::Larger(n)
        } else {
            SizeBound::Smaller(n)
        })),
    ]
    // A word starting with "-" would be a negation: the generators avoid it.
    .prop_filter("no leading hyphen", |t| {
        !matches!(t, Term::Text(TextTerm { text, kind: TextKind::Word | TextKind::Prefix, .. }) if text.starts_with('-'))
    })
}

fn arb_query() -> impl Strategy<Value = Query> {
    arb_term()
        .prop_map(Query::Term)
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(not),
                proptest::collection::vec(inner.clone(), 2..5).prop_map(Query::And),
                proptest::collection::vec(inner, 2..5).prop_map(Query::Or),
            ]
        })
}

/// Query-shaped noise: operators, fields, quotes and words in any order.
fn arb_token_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "(",
        ")",
        "\"",
        "-",
        "*",
        ":",
        " ",
        " ",
        "AND",
        "OR",
        "NOT",
        "and",
        "from:",
        "to:",
        "in:",
        "is:",
        "has:",
        "before:",
        "after:",
        "newer_than:",
        "older_than:",
        "larger:",
        "smaller:",
        "subject:",
        "filename:",
        "unread",
        "attachment",
        "2024-03-01",
        "7d",
        "1y",
        "5M",
        "warr",
        "会議",
        "é",
        "NEAR(",
        "^",
        "\u{0}",
        "\t",
        "\u{3000}",
        "foo:bar",
    ]);
    proptest::collection::vec(pieces, 0..24).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn never_panics_on_any_string(query in any::<String>(), now in any::<i64>()) {
        if let Err(e) = parse(&query, now) {
            prop_assert!(e.position <= query.chars().count());
        }
    }

    #[test]
    fn never_panics_on_query_shaped_noise(query in arb_token_soup(), now in any::<i64>()) {
        match parse(&query, now) {
            Ok(tree) => {
                // Whatever parses, parses the same inside parentheses.
                prop_assert_eq!(parse(&format!("({query})"), now), Ok(tree));
            }
            Err(e) => prop_assert!(e.position <= query.chars().count(), "{e}"),
        }
    }

    #[test]
    fn printing_a_tree_and_parsing_it_gives_the_tree_back(tree in arb_query()) {
        let printed = print(&tree);
        let parsed = parse(&printed, NOW);
        prop_assert_eq!(parsed, Ok(normalise(tree)), "{}", printed);
    }

    #[test]
    fn text_terms_always_compile_to_one_fts5_string(query in arb_token_soup()) {
        fn walk(q: &Query, out: &mut Vec<TextTerm>) {
            match q {
                Query::Term(Term::Text(t)) => out.push(t.clone()),
                Query::Term(_) => {}
                Query::Not(inner) => walk(inner, out),
                Query::And(items) | Query::Or(items) => items.iter().for_each(|i| walk(i, out)),
            }
        }
        if let Ok(tree) = parse(&query, NOW) {
            let mut terms = Vec::new();
            walk(&tree, &mut terms);
            for t in terms {
                prop_assert!(!t.text.is_empty() && !t.text.contains('"'));
                prop_assert!(!t.text.chars().any(char::is_control));
                let op = t.fts5_operand();
                let body = op.strip_suffix('*').unwrap_or(&op);
                prop_assert!(body.starts_with('"') && body.ends_with('"'));
                prop_assert!(!body[1..body.len() - 1].contains('"'));
            }
        }
    }
}
