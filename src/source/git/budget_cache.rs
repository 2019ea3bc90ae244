//! A map that holds at most a budget of bytes, dropping the least recently
//! used values first: the caches of decoded and parsed trees of the
//! history walk, which must stay small however large the repository.

use std::collections::HashMap;
use std::hash::Hash;

pub struct BudgetCache<K, V> {
    budget: usize,
    held: usize,
    clock: u64,
    values: HashMap<K, Held<V>>,
}

struct Held<V> {
    value: V,
    bytes: usize,
    used: u64,
}

impl<K: Hash + Eq + Copy, V: Clone> BudgetCache<K, V> {
    pub fn new(budget: usize) -> BudgetCache<K, V> {
        BudgetCache {
            budget,
            held: 0,
            clock: 0,
            values: HashMap::new(),
        }
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let held = self.values.get_mut(key)?;
        held.used = self.clock;
        Some(held.value.clone())
    }

    /// Keeps `value`, said to hold `bytes`, unless it alone would take
    /// more than a quarter of the budget and push out everything the next
    /// reads need.
    pub fn put(&mut self, key: K, value: V, bytes: usize) {
        if bytes > self.budget / 4 {
            return;
        }
        self.clock += 1;
        let held = Held {
            value,
            bytes,
            used: self.clock,
        };
        self.held += bytes;
        if let Some(old) = self.values.insert(key, held) {
            self.held -= old.bytes;
        }
        if self.held > self.budget {
            self.evict();
        }
    }

    /// Drops the least recently used values until a quarter of the budget
    /// is free, so that eviction (a sort) runs once per many insertions.
    fn evict(&mut self) {
        let mut by_age: Vec<(u64, K)> = self
            .values
            .iter()
            .map(|(&key, held)| (held.used, key))
            .collect();
        by_age.sort_unstable_by_key(|&(used, _)| used);
        for (_, key) in by_age {
            if self.held <= self.budget / 4 * 3 {
                break;
            }
            if let Some(old) = self.values.remove(&key) {
                self.held -= old.bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_values_go_first_once_over_budget() {
        let mut cache = BudgetCache::new(100);
        for key in 0..4 {
            cache.put(key, key, 20);
        }
        assert_eq!(cache.get(&0), Some(0)); // 0 is now the most recent
        cache.put(4, 4, 20);
        cache.put(5, 5, 20); // 120 bytes: down to 75 at most
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&2), None);
        assert_eq!(cache.get(&0), Some(0));
        assert_eq!(cache.get(&5), Some(5));
        cache.put(6, 6, 26); // over a quarter of the budget: not kept
        assert_eq!(cache.get(&6), None);
    }
}
