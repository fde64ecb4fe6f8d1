//! A ZIP archive written as a stream, front to back, never held whole: each entry is a local header, its bytes as
//! they come (stored, not compressed — recordings are compressed already) and a data descriptor with the CRC-32
//! learnt on the way; the central directory closes the archive. Names are UTF-8 (flag bit 11). An archive whose
//! entries start past 4 GiB gets ZIP64 offsets and end records; a single entry must stay under 4 GiB.

use bytes::{BufMut, Bytes, BytesMut};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// Bit 3: sizes and CRC follow the data; bit 11: the name is UTF-8.
const FLAGS: u16 = (1 << 3) | (1 << 11);
const VERSION_NEEDED: u16 = 20;
const VERSION_NEEDED_ZIP64: u16 = 45;
/// Made by: Unix (3), spec 4.5.
const VERSION_MADE_BY: u16 = (3 << 8) | 45;
const U32_MAX: u64 = 0xFFFF_FFFF;

#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("an entry of the archive is 4 GiB or more")]
    EntryTooLarge,
    #[error("no entry is open")]
    NoEntry,
}

struct Entry {
    name: String,
    crc: u32,
    size: u64,
    offset: u64,
}

/// The archive being written. Each method gives the bytes to send next.
pub struct ZipStream {
    /// Bytes given out so far.
    offset: u64,
    done: Vec<Entry>,
    open: Option<(Entry, crc32fast::Hasher)>,
    /// MS-DOS date and time stamped on every entry.
    dos_time: u16,
    dos_date: u16,
}

impl ZipStream {
    /// A new archive whose entries are stamped with `at` (local time as the reader's tools show it).
    pub fn new(at: jiff::civil::DateTime) -> Self {
        let year = at.year().clamp(1980, 2107) as u16;
        let dos_date = ((year - 1980) << 9) | ((at.month() as u16) << 5) | at.day() as u16;
        let dos_time = ((at.hour() as u16) << 11) | ((at.minute() as u16) << 5) | (at.second() as u16 / 2);
        ZipStream { offset: 0, done: Vec::new(), open: None, dos_time, dos_date }
    }

    /// Opens an entry named `name` (closing the one before, if any): its local header.
    pub fn begin(&mut self, name: &str) -> Result<Bytes, ZipError> {
        let mut out = BytesMut::new();
        if self.open.is_some() {
            out.extend_from_slice(&self.end()?);
        }
        let mut b = BytesMut::with_capacity(30 + name.len());
        b.put_u32_le(LOCAL_HEADER);
        b.put_u16_le(VERSION_NEEDED);
        b.put_u16_le(FLAGS);
        b.put_u16_le(0); // stored
        b.put_u16_le(self.dos_time);
        b.put_u16_le(self.dos_date);
        b.put_u32_le(0); // CRC-32, in the data descriptor
        b.put_u32_le(0); // compressed size, likewise
        b.put_u32_le(0); // size, likewise
        b.put_u16_le(name.len() as u16);
        b.put_u16_le(0);
        b.put_slice(name.as_bytes());
        let entry = Entry { name: name.to_owned(), crc: 0, size: 0, offset: self.offset };
        self.offset += b.len() as u64;
        self.open = Some((entry, crc32fast::Hasher::new()));
        out.extend_from_slice(&b);
        Ok(out.freeze())
    }

    /// Counts `data` into the open entry; the caller sends `data` itself as it is.
    pub fn data(&mut self, data: &[u8]) -> Result<(), ZipError> {
        let (entry, crc) = self.open.as_mut().ok_or(ZipError::NoEntry)?;
        entry.size += data.len() as u64;
        if entry.size >= U32_MAX {
            return Err(ZipError::EntryTooLarge);
        }
        crc.update(data);
        self.offset += data.len() as u64;
        Ok(())
    }

    /// Closes the open entry: its data descriptor.
    pub fn end(&mut self) -> Result<Bytes, ZipError> {
        let (mut entry, crc) = self.open.take().ok_or(ZipError::NoEntry)?;
        entry.crc = crc.finalize();
        let mut b = BytesMut::with_capacity(16);
        b.put_u32_le(DATA_DESCRIPTOR);
        b.put_u32_le(entry.crc);
        b.put_u32_le(entry.size as u32);
        b.put_u32_le(entry.size as u32);
        self.offset += b.len() as u64;
        self.done.push(entry);
        Ok(b.freeze())
    }

    /// A whole small entry at once.
    pub fn entry(&mut self, name: &str, data: &[u8]) -> Result<Bytes, ZipError> {
        let mut out = BytesMut::new();
        out.extend_from_slice(&self.begin(name)?);
        self.data(data)?;
        out.extend_from_slice(data);
        out.extend_from_slice(&self.end()?);
        Ok(out.freeze())
    }

    /// The central directory and end records (closing the open entry, if any): the archive's last bytes.
    pub fn finish(mut self) -> Result<Bytes, ZipError> {
        let mut b = BytesMut::new();
        if self.open.is_some() {
            b.extend_from_slice(&self.end()?);
        }
        // (`end` has counted the descriptor in `offset` already.)
        let directory_start = self.offset;
        let before = b.len();
        for e in &self.done {
            let zip64 = e.offset >= U32_MAX;
            b.put_u32_le(CENTRAL_HEADER);
            b.put_u16_le(VERSION_MADE_BY);
            b.put_u16_le(if zip64 { VERSION_NEEDED_ZIP64 } else { VERSION_NEEDED });
            b.put_u16_le(FLAGS);
            b.put_u16_le(0);
            b.put_u16_le(self.dos_time);
            b.put_u16_le(self.dos_date);
            b.put_u32_le(e.crc);
            b.put_u32_le(e.size as u32);
            b.put_u32_le(e.size as u32);
            b.put_u16_le(e.name.len() as u16);
            b.put_u16_le(if zip64 { 12 } else { 0 });
            b.put_u16_le(0); // comment
            b.put_u16_le(0); // disk
            b.put_u16_le(0); // internal attributes
            b.put_u32_le(0o100644 << 16); // a regular file, rw-r--r--
            b.put_u32_le(if zip64 { U32_MAX as u32 } else { e.offset as u32 });
            b.put_slice(e.name.as_bytes());
            if zip64 {
                b.put_u16_le(0x0001);
                b.put_u16_le(8);
                b.put_u64_le(e.offset);
            }
        }
        let directory_size = (b.len() - before) as u64;
        let directory_end = directory_start + directory_size;
        let count = self.done.len() as u64;
        let zip64 = directory_start >= U32_MAX || count >= 0xFFFF;
        if zip64 {
            b.put_u32_le(ZIP64_END);
            b.put_u64_le(44);
            b.put_u16_le(VERSION_MADE_BY);
            b.put_u16_le(VERSION_NEEDED_ZIP64);
            b.put_u32_le(0);
            b.put_u32_le(0);
            b.put_u64_le(count);
            b.put_u64_le(count);
            b.put_u64_le(directory_size);
            b.put_u64_le(directory_start);
            b.put_u32_le(ZIP64_LOCATOR);
            b.put_u32_le(0);
            b.put_u64_le(directory_end);
            b.put_u32_le(1);
        }
        b.put_u32_le(END_OF_CENTRAL_DIRECTORY);
        b.put_u16_le(0);
        b.put_u16_le(0);
        b.put_u16_le(count.min(0xFFFF) as u16);
        b.put_u16_le(count.min(0xFFFF) as u16);
        b.put_u32_le(directory_size.min(U32_MAX) as u32);
        b.put_u32_le(if zip64 { U32_MAX as u32 } else { directory_start as u32 });
        b.put_u16_le(0);
        Ok(b.freeze())
    }
}

/// `name` made safe as one part of a path inside an archive: no slashes, control characters or leading dots,
/// at most `max` characters.
pub fn path_part(name: &str, max: usize) -> String {
    let cleaned: String =
        name.chars()
            .map(|c| {
                if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '_'
                } else {
                    c
                }
            })
            .take(max)
            .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() { "_".to_owned() } else { trimmed.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let at = jiff::civil::date(2026, 12, 3).at(14, 30, 12, 0);
        let mut z = ZipStream::new(at);
        let mut out = Vec::new();
        for (name, data) in entries {
            out.extend_from_slice(&z.begin(name).unwrap());
            for piece in data.chunks(3) {
                z.data(piece).unwrap();
                out.extend_from_slice(piece);
            }
        }
        out.extend_from_slice(&z.finish().unwrap());
        out
    }

    #[test]
    fn entries_and_directory_add_up() {
        let out = archive(&[("a.json", b"{\"x\":1}"), ("recordings/Ä b.webm", b"\x1a\x45\xdf\xa3 video")]);
        // The end record says where the directory starts and how long it is; both agree with the bytes.
        let eocd = out.len() - 22;
        assert_eq!(&out[eocd..eocd + 4], &END_OF_CENTRAL_DIRECTORY.to_le_bytes());
        let count = u16::from_le_bytes([out[eocd + 10], out[eocd + 11]]);
        let size = u32::from_le_bytes(out[eocd + 12..eocd + 16].try_into().unwrap()) as usize;
        let start = u32::from_le_bytes(out[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        assert_eq!(count, 2);
        assert_eq!(start + size, eocd);
        assert_eq!(&out[start..start + 4], &CENTRAL_HEADER.to_le_bytes());
        // The first entry's CRC is CRC-32 of its bytes.
        let crc = u32::from_le_bytes(out[start + 16..start + 20].try_into().unwrap());
        assert_eq!(crc, crc32fast::hash(b"{\"x\":1}"));
    }

    #[test]
    fn data_outside_an_entry_is_refused() {
        let mut z = ZipStream::new(jiff::civil::date(2026, 1, 1).at(0, 0, 0, 0));
        assert!(z.data(b"x").is_err());
        assert!(z.end().is_err());
    }

    #[test]
    fn path_parts_stay_one_part() {
        assert_eq!(path_part("../../etc/passwd", 40), "_.._etc_passwd");
        assert_eq!(path_part("Ünïcode: ok?", 40), "Ünïcode_ ok_");
        assert_eq!(path_part("\u{7}", 40), "_");
        assert_eq!(path_part("abcdef", 3), "abc");
    }
}
