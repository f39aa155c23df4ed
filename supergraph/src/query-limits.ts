// What one request may ask for, checked while the document is validated, before anything is
// planned or any subgraph is called: depth, cost and aliases (graphql-armor), and mutations that
// must not be repeated within one request (a request of 21 aliased `login`s would try 21 passwords
// for one unit of rate limit).
//
// The cost is graphql-armor's (2 per object, 1 per scalar, times `first`), plus the lists whose
// length other arguments set: a `fleetImpact` costs once per bucket its range touches (15 aliased
// month-long hourly ones, 11,000 buckets, once made the telematics subgraph unavailable). A range
// given in variables is not known while the document is validated: it counts as the longest allowed.
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { Kind, visitInParallel, type ASTVisitor, type FieldNode, type ValidationContext, type ValidationRule } from 'graphql';
import { impactBuckets, impactMaxBuckets, impactTimeField, type ImpactGrouping } from '../../services/platform/src/impact-buckets';
import { LimitExceeded, reportLimit } from './gateway-errors';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
}

/**
 * Mutations that may appear once per request, however they are aliased or spread: each is one try
 * against a per-address limit (passwords, sign-ups, codes, identity checks).
 */
export const SINGLE_USE_MUTATIONS = ['login', 'signUp', 'confirmEmail', 'checkIdentity'];

function singleUseMutationsRule(names: string[]): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const seen = new Map<string, number>();
    return {
      Field(node) {
        const parent = context.getParentType();
        if (!parent || parent !== context.getSchema().getMutationType() || !names.includes(node.name.value)) return;
        const count = (seen.get(node.name.value) ?? 0) + 1;
        seen.set(node.name.value, count);
        if (count === 2) context.reportError(new LimitExceeded('MUTATION_REPEATED', `${node.name.value} may be called once per request`, [node]));
      },
    };
  };
}

/** A literal string argument, or undefined when it is a variable or absent. */
const literal = (field: FieldNode, name: string): string | undefined => {
  const value = field.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING || value?.kind === Kind.ENUM ? value.value : undefined;
};

/** For each root field whose arguments set its list's length: how many items it may answer. */
const SIZED_LISTS: Record<string, (field: FieldNode) => number> = {
  fleetImpact: (field) => {
    const groupBy = field.arguments?.some((argument) => argument.name.value === 'groupBy') ? literal(field, 'groupBy') : 'DAY';
    const grouping: ImpactGrouping = groupBy === 'DAY' ? 'DAY' : 'HOUR'; // a variable: the finer one
    const [from, to] = [literal(field, 'from'), literal(field, 'to')];
    const max = impactMaxBuckets(grouping);
    if (from === undefined || to === undefined) return max; // in variables: not known yet
    // A range the subgraph will refuse (not RFC 3339, reversed, too long) costs one bucket: it is
    // refused before the warehouse is asked, and the client hears why (BAD_USER_INPUT).
    const [start, end] = [from, to].map((text) => impactTimeField.safeParse(text).data ?? new Date(NaN));
    const buckets = impactBuckets(start, end, grouping);
    return Number.isNaN(buckets) || buckets < 1 || buckets > max ? 1 : buckets;
  },
};

/** graphql-armor's visitor, whose per-field cost is reused for the sized lists. */
type ArmorVisitor = ASTVisitor & { computeComplexity(node: FieldNode, depth?: number): number };

function costRule(maxCost: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let listedCost = 0;
    let operationCost = 0;
    const armor = costLimitRule({
      maxCost: Number.MAX_SAFE_INTEGER,
      onAccept: [(_context, { n }) => void (operationCost = Math.max(operationCost, n))],
    })(context) as unknown as ArmorVisitor;
    const sizedLists: ASTVisitor = {
      Field(node) {
        const size = SIZED_LISTS[node.name.value];
        if (!size || context.getParentType() !== context.getSchema().getQueryType()) return;
        // armor counted the field once; each further item costs as much again.
        listedCost += (size(node) - 1) * armor.computeComplexity(node);
      },
      Document: {
        leave(node) {
          const cost = operationCost + listedCost;
          if (cost > maxCost) context.reportError(new LimitExceeded('QUERY_TOO_COMPLEX', `Query Cost limit of ${maxCost} exceeded, found ${cost}.`, [node]));
        },
      },
    };
    return visitInParallel([armor, sizedLists]);
  };
}

export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [
    // In this order, so a document that breaks several limits is answered with the plainest one.
    maxDepthRule({ n: limits.maxDepth, exposeLimits: true, ...reportLimit('QUERY_TOO_DEEP') }),
    maxAliasesRule({ n: limits.maxAliases, exposeLimits: true, ...reportLimit('TOO_MANY_ALIASES') }),
    singleUseMutationsRule(SINGLE_USE_MUTATIONS),
    costRule(limits.maxCost),
  ] as ValidationRule[];
}
