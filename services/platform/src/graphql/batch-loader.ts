// A per-request DataLoader over a "get many by id" call: every id a request names in one tick is
// fetched in one call, and answered in the order asked (undefined for an id not found).
import DataLoader from 'dataloader';

export function batchLoader<Item>(
  fetchMany: (ids: readonly string[]) => Promise<Item[]>,
  idOf: (item: Item) => string,
): DataLoader<string, Item | undefined> {
  return new DataLoader(async (ids) => {
    const found = new Map((await fetchMany(ids)).map((item) => [idOf(item), item]));
    return ids.map((id) => found.get(id));
  });
}
