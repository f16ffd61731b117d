//! A CloudTrail log file (`{"Records": [...]}`, gzip) read as a stream. Each record is read in
//! place, typed, straight from the decompressed chunk, and the reader says where it ended. A
//! record it does not take (broken, or cut by the end of a chunk) is found by a small byte
//! scanner (it tracks only strings, escapes and bracket depth; a string's run is found with
//! `memchr`), and parsed on its own. So:
//! - memory holds one record (at most `MAX_RECORD` bytes) and the tallies, never the file;
//! - a record that does not parse (invalid UTF-8 is read leniently first; 10,000 levels of
//!   nesting is refused by the parser) is skipped and counted, and the next one is read;
//! - a record whose brackets or quotes are broken, so that it swallows the records after it,
//!   is cut at the next `{"eventVersion"` and the scan resynchronises there.

use std::io::{BufRead, BufReader, Read};

use crate::trail::intake::Intake;

/// The largest record read; a bigger one is skipped (CloudTrail records are a few KB).
pub const MAX_RECORD: usize = 1024 * 1024;

/// Where a record that swallowed its neighbours is cut: every CloudTrail record starts so.
const RESYNC: &[u8] = br#"{"eventVersion""#;

/// Why a file was not read to its end.
#[derive(Debug, Clone, PartialEq)]
pub enum FileError {
    /// The file itself is broken (truncated gzip, no `Records` array): retrying cannot help.
    Corrupt(String),
    /// Reading failed (the connection, say): retrying can.
    Io(String),
}

/// Read a trail file (gzip, or plain JSON) into `intake`. Returns the number of records read.
/// A file that breaks off keeps the records read before the break and says where it broke.
pub fn read_trail_file<R: Read>(mut reader: R, intake: &mut Intake) -> Result<u64, FileError> {
    read_from(&mut reader, intake)
}

/// [`read_trail_file`] behind one reader type, so that the scan is compiled here, in this
/// crate, which is built for speed (a function's own crate is built for size).
fn read_from(reader: &mut dyn Read, intake: &mut Intake) -> Result<u64, FileError> {
    let mut buffered = BufReader::with_capacity(256 * 1024, reader);
    let gzip = buffered
        .fill_buf()
        .map_err(|e| FileError::Io(e.to_string()))?
        .starts_with(&[0x1f, 0x8b]);
    if gzip {
        let decoder = flate2::read::MultiGzDecoder::new(buffered);
        scan(BufReader::with_capacity(256 * 1024, decoder), intake)
    } else {
        scan(buffered, intake)
    }
}

/// Read a trail file's plain JSON text held in memory (a `{"Records": [...]}` event) into
/// `intake`, without copying it. Returns the number of records read.
pub fn read_trail_text(text: &[u8], intake: &mut Intake) -> Result<u64, FileError> {
    scan(text, intake)
}

fn scan<R: BufRead>(mut reader: R, intake: &mut Intake) -> Result<u64, FileError> {
    let mut scanner = Scanner::default();
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) => {
                use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
                let why = format!(
                    "the trail file breaks off after {} records: {e}",
                    scanner.records
                );
                return Err(match e.kind() {
                    InvalidData | InvalidInput | UnexpectedEof => FileError::Corrupt(why),
                    _ => FileError::Io(why),
                });
            }
        };
        if chunk.is_empty() {
            break;
        }
        if intake.stopped() {
            return Err(FileError::Io(format!(
                "reading stopped after {} records: the delivery's earlier part failed",
                scanner.records
            )));
        }
        let n = chunk.len();
        scanner.feed(chunk, intake);
        reader.consume(n);
    }
    match scanner.phase {
        Phase::After => Ok(scanner.records),
        Phase::Top => Err(FileError::Corrupt(
            "not a CloudTrail log file: no \"Records\" array".into(),
        )),
        Phase::Records => Err(FileError::Corrupt(format!(
            "the trail file breaks off after {} records",
            scanner.records
        ))),
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum Phase {
    /// Before the `Records` array.
    #[default]
    Top,
    /// Inside it.
    Records,
    /// After it.
    After,
}

/// String and escape state of the scan.
#[derive(Debug, Default, Clone, Copy)]
struct Lexer {
    in_string: bool,
    escape: bool,
}

impl Lexer {
    /// Take one byte; true when it is structural (outside a string).
    fn structural(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return false;
        }
        if b == b'"' {
            self.in_string = true;
            return false;
        }
        true
    }
}

#[derive(Default)]
struct Scanner {
    phase: Phase,
    lexer: Lexer,
    /// Depth in the document before the array (the top object is 1).
    depth: usize,
    /// The last string completed at depth 1, and whether a `:` followed it.
    key: Vec<u8>,
    collecting_key: bool,
    key_is_records: bool,
    /// The record being read, when it is copied (it began in an earlier chunk); `start`
    /// where it began in this chunk, when it is read in place; `record_depth` its bracket
    /// depth; `in_record` whether one is.
    record: Vec<u8>,
    start: Option<usize>,
    record_depth: usize,
    in_record: bool,
    /// The record grew past `MAX_RECORD`: its bytes are dropped until it ends.
    oversize: bool,
    records: u64,
}

impl Scanner {
    fn feed(&mut self, chunk: &[u8], intake: &mut Intake) {
        let mut i = 0;
        while i < chunk.len() {
            match self.phase {
                Phase::Top => {
                    self.top(chunk[i]);
                    i += 1;
                }
                Phase::Records => {
                    let (used, refeed) = self.records_span(chunk, i, intake);
                    i += used;
                    if let Some(refeed) = refeed {
                        // A record swallowed its neighbours: read them again from the cut.
                        // Iterative: each pass is shorter than the last.
                        let mut pending = refeed;
                        while let Some(rest) = self.refeed(&pending, intake) {
                            pending = rest;
                        }
                    }
                }
                Phase::After => break,
            }
        }
        self.keep(chunk);
    }

    /// The chunk ends: a record read in place so far is copied, to carry on in the next.
    fn keep(&mut self, chunk: &[u8]) {
        if let Some(start) = self.start.take() {
            if self.in_record && !self.oversize {
                self.record.clear();
                self.record.extend_from_slice(&chunk[start..]);
            }
        }
    }

    /// Feed a cut-off tail; returns a further tail when it too needs a cut.
    fn refeed(&mut self, bytes: &[u8], intake: &mut Intake) -> Option<Vec<u8>> {
        let mut i = 0;
        while i < bytes.len() && self.phase == Phase::Records {
            let (used, refeed) = self.records_span(bytes, i, intake);
            i += used;
            if let Some(mut rest) = refeed {
                rest.extend_from_slice(&bytes[i..]);
                return Some(rest);
            }
        }
        self.keep(bytes);
        None
    }

    /// Read from `chunk[at..]` inside the array: the run of a string inside a record at once
    /// (up to its closing quote or next escape, found with `memchr`), anything else a byte at
    /// a time. Returns the bytes used (at least one) and bytes to read again when a broken
    /// record was cut.
    fn records_span(
        &mut self,
        chunk: &[u8],
        at: usize,
        intake: &mut Intake,
    ) -> (usize, Option<Vec<u8>>) {
        if !self.in_record && chunk[at] == b'{' {
            // Most records are read where they lie, in one pass: the typed reader says where
            // each ends. A record it does not take (broken, or cut by the end of the chunk)
            // is found byte by byte below.
            if let Some(n) = intake.add_leading_record(&chunk[at..]) {
                self.records += 1;
                return (n, None);
            }
        }
        if self.in_record && self.lexer.in_string && !self.lexer.escape {
            let bytes = &chunk[at..];
            let (used, closes) = match memchr::memchr2(b'"', b'\\', bytes) {
                Some(j) => (j + 1, Some(bytes[j])),
                None => (bytes.len(), None),
            };
            if let Some(rest) = self.grow(chunk, at, used, intake) {
                return (used, Some(rest));
            }
            match closes {
                Some(b'"') => self.lexer.in_string = false,
                Some(_) => self.lexer.escape = true,
                None => {}
            }
            return (used, None);
        }
        (1, self.records_byte(chunk, at, intake))
    }

    /// The record being read now ends at `chunk[at + n]`. A record read in place is not
    /// copied. Returns bytes to read again when the record grew past `MAX_RECORD` and holds
    /// the start of another (it swallowed its neighbours: it is cut there); a record that is
    /// merely huge is dropped until it ends.
    fn grow(&mut self, chunk: &[u8], at: usize, n: usize, intake: &mut Intake) -> Option<Vec<u8>> {
        if self.oversize {
            return None;
        }
        match self.start {
            Some(start) if at + n - start <= MAX_RECORD => return None,
            Some(start) => {
                self.start = None;
                self.record.clear();
                self.record.extend_from_slice(&chunk[start..at + n]);
            }
            None => {
                self.record.extend_from_slice(&chunk[at..at + n]);
                if self.record.len() <= MAX_RECORD {
                    return None;
                }
            }
        }
        // Keep a record that swallowed others from taking the rest of the file.
        if let Some(cut) = find(&self.record[1..], RESYNC) {
            self.records += 1;
            intake.malformed("a record with broken brackets or quotes, cut at the next record");
            let rest = self.record.split_off(cut + 1);
            self.in_record = false;
            self.lexer = Lexer::default();
            return Some(rest);
        }
        self.oversize = true;
        self.record = Vec::new();
        None
    }

    /// A byte before the array: find `"Records"` `:` `[` at depth 1.
    fn top(&mut self, b: u8) {
        let was_string = self.lexer.in_string;
        if !self.lexer.structural(b) {
            if self.depth == 1 {
                if !was_string {
                    self.key.clear();
                    self.collecting_key = true;
                } else if self.lexer.in_string {
                    if self.collecting_key && self.key.len() < 16 {
                        self.key.push(b);
                    }
                } else {
                    self.collecting_key = false;
                }
            }
            return;
        }
        match b {
            b':' if self.depth == 1 => self.key_is_records = self.key == b"Records",
            b'[' if self.depth == 1 && self.key_is_records => {
                self.phase = Phase::Records;
            }
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            b',' => self.key_is_records = false,
            _ => {}
        }
    }

    /// The byte `chunk[at]` inside the array. Returns bytes to read again when a broken
    /// record was cut.
    fn records_byte(&mut self, chunk: &[u8], at: usize, intake: &mut Intake) -> Option<Vec<u8>> {
        let b = chunk[at];
        if !self.in_record {
            match b {
                b' ' | b'\n' | b'\r' | b'\t' | b',' => return None,
                b']' => {
                    self.phase = Phase::After;
                    return None;
                }
                _ => {
                    self.in_record = true;
                    self.oversize = false;
                    self.start = Some(at);
                    self.record.clear();
                    self.record_depth = 0;
                    self.lexer = Lexer::default();
                }
            }
        }
        let structural = self.lexer.structural(b);
        if structural && self.record_depth == 0 && matches!(b, b',' | b']') {
            // The end of a scalar element (the byte is not part of it).
            self.in_record = false;
            if b == b']' {
                self.phase = Phase::After;
            }
            return self.finish(chunk, at, intake);
        }
        if let Some(rest) = self.grow(chunk, at, 1, intake) {
            return Some(rest);
        }
        if structural {
            match b {
                b'{' | b'[' => self.record_depth += 1,
                b'}' | b']' => self.record_depth = self.record_depth.saturating_sub(1),
                _ => {}
            }
            if self.record_depth == 0 && matches!(b, b'}' | b']') {
                self.in_record = false;
                return self.finish(chunk, at + 1, intake);
            }
        }
        None
    }

    /// A record's bytes are complete (in place up to `chunk[end]`, or copied): take them in.
    /// A record that does not parse and holds the start of another is cut there.
    fn finish(&mut self, chunk: &[u8], end: usize, intake: &mut Intake) -> Option<Vec<u8>> {
        self.records += 1;
        self.lexer = Lexer::default();
        let start = self.start.take();
        if self.oversize {
            intake.malformed(format!("a record over {MAX_RECORD} bytes, skipped"));
            return None;
        }
        let record: &[u8] = match start {
            Some(start) => &chunk[start..end],
            None => &self.record,
        };
        if intake.add_json_bytes(record) {
            return None;
        }
        let cut = find(&record[1..], RESYNC)? + 1;
        Some(record[cut..].to_vec())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    const RECORD: &str = r#"{"eventVersion":"1.08","eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com","eventName":"InitiateAuth","eventID":"e","errorCode":"NotAuthorizedException","sourceIPAddress":"203.0.113.5","requestParameters":{"clientId":"c1"}}"#;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    fn intake() -> Intake {
        Intake::new(Box::new(|_| None))
    }

    #[test]
    fn records_are_read_one_by_one_from_gzip_or_plain_json() {
        let file = format!(
            r#"{{"extra":{{"Records":[1]}},"Records":[{RECORD},{RECORD},{{"bad":true}}],"more":[1,2]}}"#
        );
        let mut i = intake();
        assert_eq!(
            read_trail_file(gz(file.as_bytes()).as_slice(), &mut i),
            Ok(3)
        );
        assert_eq!(i.counts.skipped_non_cognito, 0);
        assert_eq!(i.counts.cognito_records, 2);
        assert_eq!(i.counts.malformed, 1);
        let mut plain = intake();
        assert_eq!(read_trail_file(file.as_bytes(), &mut plain), Ok(3));
    }

    #[test]
    fn a_truncated_file_keeps_what_was_read_and_says_where_it_broke() {
        let file = format!(r#"{{"Records":[{}]}}"#, vec![RECORD; 200].join(","));
        let bytes = gz(file.as_bytes());
        let mut i = intake();
        let err = read_trail_file(&bytes[..bytes.len() / 2], &mut i).unwrap_err();
        assert!(
            matches!(&err, FileError::Corrupt(why) if why.contains("breaks off after")),
            "{err:?}"
        );
        assert!(i.counts.cognito_records > 0 && i.counts.cognito_records < 200);
    }

    /// Defect: a record with invalid UTF-8 or 10,000 levels of nesting stopped the read and
    /// the records after it were lost.
    #[test]
    fn a_bad_record_is_skipped_and_its_neighbours_are_read() {
        let mut bad_utf8 = RECORD.as_bytes().to_vec();
        let at = bad_utf8.windows(7).position(|w| w == b"203.0.1").unwrap();
        bad_utf8.splice(at..at, [0xFF, 0xFE]);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let broken_quote = RECORD.replacen(r#""InitiateAuth""#, r#""InitiateAuth"#, 1);
        let huge = format!(
            r#"{{"eventVersion":"1","pad":"{}"}}"#,
            "x".repeat(MAX_RECORD + 10)
        );
        let mut file = br#"{"Records":["#.to_vec();
        for (n, part) in [
            RECORD.as_bytes(),
            &bad_utf8,
            RECORD.as_bytes(),
            deep.as_bytes(),
            RECORD.as_bytes(),
            broken_quote.as_bytes(),
            RECORD.as_bytes(),
            huge.as_bytes(),
            RECORD.as_bytes(),
        ]
        .iter()
        .enumerate()
        {
            if n > 0 {
                file.push(b',');
            }
            file.extend_from_slice(part);
        }
        file.extend_from_slice(b"]}");
        let mut i = intake();
        read_trail_file(gz(&file).as_slice(), &mut i).unwrap();
        assert_eq!(
            i.counts.cognito_records, 6,
            "the five good records and the one with a bad byte in a string: {:?}",
            i.malformed_samples
        );
        assert_eq!(i.counts.malformed, 3, "{:?}", i.malformed_samples);
        // However the bytes arrive (records read in place, or split across reads and carried
        // over), the same records are read.
        for size in [1, 7, 4096, MAX_RECORD - 3] {
            let mut t = intake();
            read_trail_file(Trickle(&file, size), &mut t).unwrap();
            let (mine, whole) = (t.tallies().clone(), i.tallies().clone());
            assert_eq!(
                (&t.counts, &t.malformed_samples, mine),
                (&i.counts, &i.malformed_samples, whole),
                "read {size} bytes at a time"
            );
        }
    }

    /// A file read in parts (a part every `n` records) gives, part by part, what it gives
    /// read whole: the same tallies, counts and findings, numbered in order, the last part
    /// left in the intake; a sink that refuses a part stops the read.
    #[test]
    fn a_file_read_in_parts_adds_up_to_the_file() {
        let mut file = br#"{"Records":["#.to_vec();
        for n in 0..23 {
            if n > 0 {
                file.push(b',');
            }
            let record = match n % 5 {
                4 => "{\"bad\":true}".to_string(),
                k => RECORD.replace("203.0.1", &format!("203.0.{k}")),
            };
            file.extend_from_slice(record.as_bytes());
        }
        file.extend_from_slice(b"]}");
        let mut whole = intake();
        assert_eq!(read_trail_file(gz(&file).as_slice(), &mut whole), Ok(23));
        for every in [1, 4, 5, 22, 23, 100] {
            let parts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let mut split = intake();
            let kept = parts.clone();
            split.split_every(
                every,
                Box::new(move |p| {
                    kept.lock().unwrap().push(p);
                    true
                }),
            );
            assert_eq!(read_trail_file(gz(&file).as_slice(), &mut split), Ok(23));
            split.unsplit();
            let mut parts = std::mem::take(&mut *parts.lock().unwrap());
            assert_eq!(parts.len() as u64, 23 / every, "every {every}");
            parts.push(split.take_part());
            let mut tallies = crate::trail::Tallies::default();
            let mut counts = crate::trail::intake::IntakeCounts::default();
            for (n, p) in parts.into_iter().enumerate() {
                assert_eq!(p.number as usize, n);
                tallies.merge(p.tallies);
                counts.absorb(&p.counts);
            }
            let whole_tallies = whole.tallies().clone();
            assert_eq!(
                (&tallies, &counts),
                (&whole_tallies, &whole.counts),
                "every {every}"
            );
        }
        let mut refused = intake();
        refused.split_every(2, Box::new(|_| false));
        assert!(matches!(
            read_trail_file(Trickle(&gz(&file), 64), &mut refused),
            Err(FileError::Io(why)) if why.contains("reading stopped")
        ));
        assert!(refused.stopped());
    }

    /// A reader that hands over at most `.1` bytes a read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn with_sibling(middle: &[u8]) -> Vec<u8> {
        let mut file = br#"{"Records":["#.to_vec();
        file.extend_from_slice(RECORD.as_bytes());
        file.push(b',');
        file.extend_from_slice(middle);
        file.push(b',');
        file.extend_from_slice(RECORD.as_bytes());
        file.extend_from_slice(b"]}");
        file
    }

    proptest! {
        /// Arbitrary bytes, plain or gzip'd: never a panic, never an unbounded key.
        #[test]
        fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for input in [bytes.clone(), gz(&bytes)] {
                let mut i = intake();
                let _ = read_trail_file(input.as_slice(), &mut i);
                prop_assert!(i.tallies().check_bounds().is_ok());
            }
        }

        /// Whatever bytes sit inside a string of the record between two good ones, and
        /// whatever JSON value sits between them, both good records are read.
        #[test]
        fn a_bad_sibling_never_loses_a_good_record(
            junk in proptest::collection::vec(any::<u8>().prop_filter("no quote or backslash", |b| *b != b'"' && *b != b'\\'), 0..512),
            value in json_value(),
        ) {
            let mut middle = br#"{"eventVersion":"1.08","eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com","eventName":"InitiateAuth","eventID":"m","userAgent":""#.to_vec();
            middle.extend_from_slice(&junk);
            middle.extend_from_slice(br#""}"#);
            for middle in [middle, value.to_string().into_bytes()] {
                let mut i = intake();
                prop_assert!(read_trail_file(gz(&with_sibling(&middle)).as_slice(), &mut i).is_ok());
                prop_assert!(i.counts.cognito_records >= 2, "{:?}", i.malformed_samples);
                prop_assert!(i.tallies().check_bounds().is_ok());
            }
        }
    }

    #[test]
    fn a_file_without_records_is_corrupt() {
        let mut i = intake();
        assert!(matches!(
            read_trail_file(&b"{\"nope\":[1]}"[..], &mut i),
            Err(FileError::Corrupt(_))
        ));
    }
}
