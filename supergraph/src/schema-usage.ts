// What of the schema an operation uses, as schema coordinates: `Type`, `Type.field`,
// `Type.field(arg:)`, `Enum.VALUE`, `@directive`. graphql-js's TypeInfo follows the document
// through the schema (fragments included), so each field is named on the type it is selected on.
// A field the schema no longer has is still named on its parent type, so that a removal can be
// traced to the operations that use it.
//
// What static reading cannot see: the fields of an input object given in variables, and the enum
// values a response carries; those are the app's data, not its documents.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';

export function coordinatesUsed(document: DocumentNode, schema: GraphQLSchema): Set<string> {
  const used = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || node.name.value.startsWith('__')) return;
        used.add(parent.name);
        used.add(`${parent.name}.${node.name.value}`);
        for (const argument of node.arguments ?? []) used.add(`${parent.name}.${node.name.value}(${argument.name.value}:)`);
        const type = typeInfo.getType();
        if (type) used.add(getNamedType(type).name);
      },
      InlineFragment(node) {
        if (node.typeCondition) used.add(node.typeCondition.name.value);
      },
      FragmentDefinition(node) {
        used.add(node.typeCondition.name.value);
      },
      VariableDefinition() {
        const type = typeInfo.getInputType();
        if (type) used.add(getNamedType(type).name);
      },
      EnumValue(node) {
        const type = typeInfo.getInputType();
        if (type) used.add(`${getNamedType(type).name}.${node.value}`);
      },
      Directive(node) {
        used.add(`@${node.name.value}`);
      },
    }),
  );
  return used;
}

/** Coordinates used against any of several schemas (the proposed one and those before it). */
export function coordinatesUsedAcross(document: DocumentNode, schemas: GraphQLSchema[]): Set<string> {
  return new Set(schemas.flatMap((schema) => [...coordinatesUsed(document, schema)]));
}

/**
 * What a breaking change removes, as the coordinates a document would name it by, read from
 * graphql-js's description of the change (findBreakingChanges). Empty when the change removes
 * nothing a document names: a changed type or a new required argument, which validating the
 * documents against the new schema catches, or which is the app's to handle (a field that became
 * nullable).
 */
export function removedCoordinates(description: string): string[] {
  const patterns: [RegExp, (...names: string[]) => string[]][] = [
    [/^(\w+)\.(\w+) arg (\w+) was removed\.$/, (type, field, arg) => [`${type}.${field}(${arg}:)`]],
    [/^(\w+)\.(\w+) was removed\.$/, (type, field) => [`${type}.${field}`]],
    [/^(\w+) was removed from enum type (\w+)\.$/, (value, type) => [`${type}.${value}`]],
    [/^(\w+) was removed from union type (\w+)\.$/, (member) => [member]],
    [/^(\w+) no longer implements interface (\w+)\.$/, (type) => [type]],
    // A type, or a directive: graphql-js describes both the same way.
    [/^(\w+) was removed\.$/, (name) => [name, `@${name}`]],
  ];
  for (const [pattern, coordinates] of patterns) {
    const match = pattern.exec(description);
    if (match) return coordinates(...match.slice(1));
  }
  return [];
}

/** Who uses one field (or argument, or enum value), and what the schema says of it. */
export interface CoordinateUsage {
  coordinate: string;
  /** The deprecation reason, when the schema deprecates it. */
  deprecated?: string;
  /** True when the schema no longer has it (only retired versions should name such a thing). */
  removed: boolean;
  users: { app: string; version: string; status: string; operations: string[] }[];
}

/** The deprecation of a coordinate in the schema: null when it is there and current, undefined when it is not there. */
function deprecationOf(schema: GraphQLSchema, coordinate: string): string | null | undefined {
  const match = /^(\w+)\.(\w+)(?:\((\w+):\))?$/.exec(coordinate);
  if (!match) return undefined;
  const [, typeName, member, argName] = match;
  const type = schema.getType(typeName);
  if (isEnumType(type)) {
    const value = type.getValue(member);
    return value ? (value.deprecationReason ?? null) : undefined;
  }
  if (!isObjectType(type) && !isInterfaceType(type) && !isInputObjectType(type)) return undefined;
  const field = type.getFields()[member];
  if (!field) return undefined;
  if (argName === undefined) return field.deprecationReason ?? null;
  const arg = 'args' in field ? field.args.find((candidate) => candidate.name === argName) : undefined;
  return arg ? (arg.deprecationReason ?? null) : undefined;
}

/**
 * Every field, argument and enum value the published versions' operations name, with the versions
 * (and their operations) that name it, read against the schema: the list a team reads before it
 * removes a deprecated field.
 */
export function usageReport(versions: { app: string; version: string; status: string; operations: { name: string; document: DocumentNode }[] }[], schema: GraphQLSchema): CoordinateUsage[] {
  const byCoordinate = new Map<string, CoordinateUsage>();
  for (const { app, version, status, operations } of versions) {
    for (const { name, document } of operations) {
      for (const coordinate of coordinatesUsed(document, schema)) {
        if (!coordinate.includes('.')) continue; // a type: its fields say more
        let usage = byCoordinate.get(coordinate);
        if (!usage) {
          const deprecation = deprecationOf(schema, coordinate);
          usage = { coordinate, removed: deprecation === undefined, users: [], ...(deprecation ? { deprecated: deprecation } : {}) };
          byCoordinate.set(coordinate, usage);
        }
        let user = usage.users.find((candidate) => candidate.app === app && candidate.version === version);
        if (!user) usage.users.push((user = { app, version, status, operations: [] }));
        user.operations.push(name);
      }
    }
  }
  return [...byCoordinate.values()].sort((a, b) => a.coordinate.localeCompare(b.coordinate));
}

/**
 * Each deprecated field and argument of the schema, with its reason and the live versions that
 * still use it: one with none left can be removed (after its record in the deliberate changes).
 */
export function deprecatedUsage(schema: GraphQLSchema, report: CoordinateUsage[]): { coordinate: string; reason: string; liveUsers: string[] }[] {
  const deprecated: { coordinate: string; reason: string; liveUsers: string[] }[] = [];
  const liveUsersOf = (coordinate: string) =>
    (report.find((usage) => usage.coordinate === coordinate)?.users ?? []).filter((user) => user.status === 'live').map((user) => `${user.app} ${user.version}`);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (!isObjectType(type) && !isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinates: [string, string | null | undefined][] = [
        [`${type.name}.${field.name}`, field.deprecationReason],
        ...field.args.map((arg): [string, string | null | undefined] => [`${type.name}.${field.name}(${arg.name}:)`, arg.deprecationReason]),
      ];
      for (const [coordinate, reason] of coordinates) if (reason) deprecated.push({ coordinate, reason, liveUsers: liveUsersOf(coordinate) });
    }
  }
  return deprecated;
}
