// The one document transform the rider app adds to Apollo Client's own (which adds `__typename`):
// top-level definitions in a fixed order (operations, then fragments, each by name), as the
// persisted query manifest prints them. With it, a query the client ever sends in full is byte
// for byte its manifest body, so the gateway can check it against the id.
import { DocumentTransform } from '@apollo/client/core';
import { sortTopLevelDefinitions } from '@apollo/persisted-query-lists';

export const sortDefinitions = new DocumentTransform(sortTopLevelDefinitions);
