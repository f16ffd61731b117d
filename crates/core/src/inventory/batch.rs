//! Write batching: DynamoDB's BatchWriteItem takes at most 25 requests; what it leaves
//! unprocessed is sent again, after the one backoff (`crate::backoff`), until a bound of attempts.

use std::collections::VecDeque;

/// BatchWriteItem's limit.
pub const MAX_BATCH: usize = 25;

/// Queue of writes, drained 25 at a time, with unprocessed writes put back.
#[derive(Debug)]
pub struct WriteQueue<T> {
    pending: VecDeque<T>,
    /// Consecutive rounds that left something unprocessed.
    retries: u32,
    max_retries: u32,
}

/// What to do next.
#[derive(Debug, PartialEq)]
pub enum Next<T> {
    /// Send this batch; the number is its retry round (0: first try), for `backoff`.
    Send(Vec<T>, u32),
    /// Everything was written.
    Done,
    /// Gave up after too many rounds with unprocessed writes: these were not written.
    GiveUp(Vec<T>),
}

impl<T> WriteQueue<T> {
    /// A queue of `items`, giving up after `max_retries` rounds that leave some unwritten.
    pub fn new(items: impl IntoIterator<Item = T>, max_retries: u32) -> Self {
        WriteQueue {
            pending: items.into_iter().collect(),
            retries: 0,
            max_retries,
        }
    }

    /// The next batch to write, a pause before a retry, or the end.
    pub fn next_batch(&mut self) -> Next<T> {
        if self.pending.is_empty() {
            return Next::Done;
        }
        if self.retries > self.max_retries {
            return Next::GiveUp(self.pending.drain(..).collect());
        }
        let n = self.pending.len().min(MAX_BATCH);
        Next::Send(self.pending.drain(..n).collect(), self.retries)
    }

    /// Report the writes of the last batch that were not processed.
    pub fn unprocessed(&mut self, items: Vec<T>) {
        if items.is_empty() {
            self.retries = 0;
            return;
        }
        self.retries += 1;
        for item in items.into_iter().rev() {
            self.pending.push_front(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unprocessed_items_go_first_and_give_up_is_bounded() {
        let mut q = WriteQueue::new(0..30, 2);
        let Next::Send(b, w) = q.next_batch() else {
            panic!()
        };
        assert_eq!((b.len(), w), (25, 0));
        q.unprocessed(vec![3, 4]);
        let Next::Send(b, w) = q.next_batch() else {
            panic!()
        };
        assert_eq!(b, vec![3, 4, 25, 26, 27, 28, 29]);
        assert_eq!(w, 1);
        q.unprocessed(b.clone());
        let Next::Send(b, _) = q.next_batch() else {
            panic!()
        };
        q.unprocessed(b);
        assert_eq!(q.next_batch(), Next::GiveUp(vec![3, 4, 25, 26, 27, 28, 29]));
        assert_eq!(q.next_batch(), Next::Done);
    }

    proptest! {
        /// Whatever DynamoDB leaves unprocessed, every item is written exactly once or given up.
        #[test]
        fn every_item_is_written_once(n in 0usize..200, drops in proptest::collection::vec(0usize..5, 0..100)) {
            let mut q = WriteQueue::new(0..n, 1000);
            let mut written = vec![0u32; n];
            let mut drops = drops.into_iter();
            loop {
                match q.next_batch() {
                    Next::Send(batch, _) => {
                        prop_assert!(batch.len() <= MAX_BATCH);
                        let k = drops.next().unwrap_or(0).min(batch.len());
                        let (left, done) = batch.split_at(k);
                        for &i in done { written[i] += 1; }
                        q.unprocessed(left.to_vec());
                    }
                    Next::Done => break,
                    Next::GiveUp(_) => prop_assert!(false, "gave up"),
                }
            }
            prop_assert!(written.iter().all(|&w| w == 1));
        }
    }
}
