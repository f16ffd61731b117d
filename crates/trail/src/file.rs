//! A CloudTrail log file (`{"Records": [...]}`, gzip) read as a stream: each record is
//! taken in as it is parsed, so memory holds one record and the tallies, never the file.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

use cognito_watch_core::intake::Intake;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Why a file was not read to its end.
#[derive(Debug, Clone, PartialEq)]
pub enum FileError {
    /// The file itself is broken (truncated gzip, invalid JSON): retrying cannot help.
    Corrupt(String),
    /// Reading failed (the connection, say): retrying can.
    Io(String),
}

/// Read a trail file (gzip, or plain JSON) into `intake`. Returns the number of records read.
/// A file that breaks off keeps the records read before the break and says where it broke.
pub fn read_trail_file<R: Read>(reader: R, intake: &mut Intake) -> Result<u64, FileError> {
    let mut buffered = BufReader::with_capacity(256 * 1024, reader);
    let gzip = buffered
        .fill_buf()
        .map_err(|e| FileError::Io(e.to_string()))?
        .starts_with(&[0x1f, 0x8b]);
    if gzip {
        let decoder = flate2::read::MultiGzDecoder::new(buffered);
        parse(BufReader::with_capacity(256 * 1024, decoder), intake)
    } else {
        parse(buffered, intake)
    }
}

fn parse<R: Read>(reader: R, intake: &mut Intake) -> Result<u64, FileError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut seen = 0;
    let out = FileSeed {
        intake,
        seen: &mut seen,
    }
    .deserialize(&mut de)
    .and_then(|_| de.end());
    match out {
        Ok(()) => Ok(seen),
        Err(e) => {
            use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
            let why = format!("the trail file breaks off after {seen} records: {e}");
            match e.io_error_kind() {
                Some(InvalidData | InvalidInput | UnexpectedEof) | None => {
                    Err(FileError::Corrupt(why))
                }
                Some(_) => Err(FileError::Io(why)),
            }
        }
    }
}

struct FileSeed<'i> {
    intake: &'i mut Intake,
    seen: &'i mut u64,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"a CloudTrail log file, {"Records": [...]}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" {
                map.next_value_seed(RecordsSeed {
                    intake: &mut *self.intake,
                    seen: &mut *self.seen,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct RecordsSeed<'i> {
    intake: &'i mut Intake,
    seen: &'i mut u64,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Value>()? {
            *self.seen += 1;
            self.intake.add_value(record);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const RECORD: &str = r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com","eventName":"InitiateAuth","eventID":"e","errorCode":"NotAuthorizedException","sourceIPAddress":"203.0.113.5","requestParameters":{"clientId":"c1"}}"#;

    fn gz(text: &str) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    }

    fn intake() -> Intake {
        Intake::new(Box::new(|_| None))
    }

    #[test]
    fn records_are_read_one_by_one_from_gzip_or_plain_json() {
        let file = format!(r#"{{"Records":[{RECORD},{RECORD},{{"bad":true}}],"extra":[1,2]}}"#);
        let mut i = intake();
        assert_eq!(read_trail_file(gz(&file).as_slice(), &mut i), Ok(3));
        assert_eq!(i.counts.skipped_non_cognito, 0);
        assert_eq!(i.counts.cognito_records, 2);
        assert_eq!(i.counts.malformed, 1);
        let mut plain = intake();
        assert_eq!(read_trail_file(file.as_bytes(), &mut plain), Ok(3));
    }

    #[test]
    fn a_truncated_file_keeps_what_was_read_and_says_where_it_broke() {
        let file = format!(r#"{{"Records":[{}]}}"#, vec![RECORD; 200].join(","));
        let bytes = gz(&file);
        let mut i = intake();
        let err = read_trail_file(&bytes[..bytes.len() / 2], &mut i).unwrap_err();
        assert!(
            matches!(&err, FileError::Corrupt(why) if why.contains("breaks off after")),
            "{err:?}"
        );
        assert!(i.counts.cognito_records > 0 && i.counts.cognito_records < 200);
    }
}
