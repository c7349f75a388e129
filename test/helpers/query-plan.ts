import { onCitus } from './test-database.js';

/** A node of an EXPLAIN (format json) plan, with what these tests read of it. */
export type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  /** Citus's Custom Scan: the tasks it sends to workers, each with the worker's own plan. */
  'Distributed Query'?: { Job: { 'Task Count': number; Tasks?: { 'Remote Plan'?: { Plan: PlanNode }[][] }[] } };
};

/**
 * Every node of the plan; on Citus, the nodes of each task's plan on its worker too, where the
 * tables and indexes are read.
 */
export function planNodes(plan: PlanNode): PlanNode[] {
  const remote = (plan['Distributed Query']?.Job.Tasks ?? []).flatMap((task) =>
    (task['Remote Plan'] ?? []).flat().flatMap((entry) => planNodes(entry.Plan)),
  );
  return [plan, ...(plan.Plans ?? []).flatMap(planNodes), ...remote];
}

/** The task count of every distributed step of the plan (none on plain PostgreSQL). */
export function taskCounts(plan: PlanNode): number[] {
  const own = plan['Distributed Query'] ? [plan['Distributed Query'].Job['Task Count']] : [];
  return [...own, ...(plan.Plans ?? []).flatMap(taskCounts)];
}

/**
 * A table or index name as the schema has it: on Citus a worker's plan names the shard's copy,
 * suffixed with the shard id (documents_t3_embedding_hnsw_102040).
 */
export function withoutShardId(name: string | undefined): string | undefined {
  return onCitus && name ? name.replace(/_\d{6,}$/, '') : name;
}
