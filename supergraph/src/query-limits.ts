// What one request may ask for, checked while the document is validated, before anything is
// planned or any subgraph is called: depth, cost and aliases (graphql-armor), and mutations that
// must not be repeated within one request (a request of 21 aliased `login`s would try 21 passwords
// for one unit of rate limit).
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { ASTVisitor, ValidationContext, ValidationRule } from 'graphql';
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

export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [
    // In this order, so a document that breaks several limits is answered with the plainest one.
    maxDepthRule({ n: limits.maxDepth, exposeLimits: true, ...reportLimit('QUERY_TOO_DEEP') }),
    maxAliasesRule({ n: limits.maxAliases, exposeLimits: true, ...reportLimit('TOO_MANY_ALIASES') }),
    singleUseMutationsRule(SINGLE_USE_MUTATIONS),
    costLimitRule({ maxCost: limits.maxCost, exposeLimits: true, ...reportLimit('QUERY_TOO_COMPLEX') }),
  ] as ValidationRule[];
}
