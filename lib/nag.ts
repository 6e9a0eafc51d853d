import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledge a cdk-nag AwsSolutions finding on a construct (and its children), with
 * the reason next to the resource. `rule` is e.g. 'S1', or 'IAM5[Resource::*]' for one
 * finding of a rule that reports each wildcard separately.
 */
export function acknowledgeNag(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}

/** How cdk-nag prints an attribute reference of a resource in finding ids: `<LogicalId.Attr>`. */
export function nagRef(element: CfnElement, attribute: string): string {
  const stack = Stack.of(element);
  return `<${stack.resolve(stack.getLogicalId(element)) as string}.${attribute}>`;
}
