// One unit over 300 lines: the compiler of chat templates (every statement and expression the
// parser gives, in one recursive descent, each mirroring the interpreter's `evaluate*` method of the
// same name).
import { filterByName, filterWithArgs, globalScope, isTuple, member } from './builtins.js';
import {
  binary,
  isMapping,
  KeywordArguments,
  looseEquals,
  Namespace,
  Scope,
  slice,
  TemplateFunction,
  TESTS,
  toText,
  truthy,
  tuples,
  unary,
  Unsupported,
  unsupported,
} from './runtime.js';

/**
 * Compiles the syntax tree `@huggingface/jinja` parses a chat template into (`Template.parsed`)
 * to closures over plain values: the same text as the library's interpreter renders, many times
 * faster (no wrapper object per value, no scope per loop iteration, method tables built once).
 * Statements and expressions the compiler does not mirror make {@link compileTemplate} return the
 * reason instead; values it does not mirror throw {@link Unsupported} at render time. Either way
 * the caller renders that template (or that render) with the interpreter, so a compiled render
 * never differs from the interpreter's.
 */
export type CompiledTemplate = (context: Record<string, unknown>) => string;

/** A node of the parsed tree: its `type` and the fields that type has. */
interface Node {
  type: string;
  [field: string]: unknown;
}

type Expr = (scope: Scope) => unknown;
type Block = (scope: Scope) => string;

/** `{% break %}` and `{% continue %}` unwind to their loop as exceptions, as in the interpreter (one instance each). */
class LoopSignal extends Error {}
const BREAK = new LoopSignal('break');
const CONTINUE = new LoopSignal('continue');

/** A name the compiled scopes resolve differently from the interpreter's when it is reassigned. */
const RESERVED = 'namespace';

class CompileError extends Error {}
const refuse = (what: string): never => {
  throw new CompileError(what);
};

export function compileTemplate(program: unknown): CompiledTemplate | { unsupported: string } {
  try {
    const body = block(nodes((program as Node).body));
    return (context) => body(globalScope(context));
  } catch (err) {
    if (err instanceof CompileError) return { unsupported: err.message };
    throw err;
  }
}

export { Unsupported };

function nodes(value: unknown): Node[] {
  return (value as Node[] | undefined) ?? [];
}

function block(statements: Node[]): Block {
  const compiled = statements.map(statement);
  if (compiled.length === 1) return compiled[0];
  return (scope) => {
    let out = '';
    for (let i = 0; i < compiled.length; i++) out += compiled[i](scope);
    return out;
  };
}

function statement(node: Node): Block {
  switch (node.type) {
    case 'Set':
      return setStatement(node);
    case 'If': {
      const test = expression(node.test as Node);
      const body = block(nodes(node.body));
      const alternate = block(nodes(node.alternate));
      return (scope) => (truthy(test(scope)) ? body(scope) : alternate(scope));
    }
    case 'For':
      return forStatement(node);
    case 'Macro':
      return macroStatement(node);
    case 'Comment':
      return () => '';
    case 'Break':
      return () => {
        throw BREAK;
      };
    case 'Continue':
      return () => {
        throw CONTINUE;
      };
    case 'StringLiteral': {
      const text = node.value as string;
      return () => text;
    }
    default: {
      const value = expression(node);
      return (scope) => {
        const v = value(scope);
        return v === null || v === undefined ? '' : toText(v);
      };
    }
  }
}

function assignedName(node: Node): string {
  if (node.type !== 'Identifier') return refuse(`assignment to ${node.type}`);
  const name = node.value as string;
  if (name === RESERVED) refuse(`assignment to ${RESERVED}`);
  return name;
}

function setStatement(node: Node): Block {
  const value = node.value ? expression(node.value as Node) : block(nodes(node.body));
  const assignee = node.assignee as Node;
  if (assignee.type === 'Identifier') {
    const name = assignedName(assignee);
    return (scope) => {
      scope.set(name, value(scope));
      return '';
    };
  }
  if (assignee.type === 'TupleLiteral') {
    const names = nodes(assignee.value).map(assignedName);
    return (scope) => {
      const rhs = value(scope);
      if (!Array.isArray(rhs)) throw new Error('Cannot unpack non-iterable type in set');
      if (rhs.length !== names.length) throw new Error('Wrong number of items to unpack in set');
      names.forEach((name, i) => scope.set(name, rhs[i]));
      return '';
    };
  }
  if (assignee.type === 'MemberExpression') {
    const object = expression(assignee.object as Node);
    const property = assignee.property as Node;
    if (property.type !== 'Identifier') return refuse('assignment to a computed member');
    const name = property.value as string;
    return (scope) => {
      const rhs = value(scope);
      const target = object(scope);
      if (!(target instanceof Namespace)) throw new Error('cannot assign attribute on non-namespace object');
      target.attributes.set(name, rhs);
      return '';
    };
  }
  return refuse(`assignment to ${assignee.type}`);
}

function forStatement(node: Node): Block {
  const loopvar = node.loopvar as Node;
  let bind: (scope: Scope, item: unknown) => void;
  if (loopvar.type === 'Identifier') {
    const name = assignedName(loopvar);
    bind = (scope, item) => scope.set(name, item);
  } else if (loopvar.type === 'TupleLiteral') {
    const names = nodes(loopvar.value).map(assignedName);
    bind = (scope, item) => {
      // The interpreter unpacks arrays only (a tuple literal's value is refused there).
      if (!Array.isArray(item) || isTuple(item)) throw new Error('Cannot unpack non-iterable type');
      if (item.length !== names.length) throw new Error('Wrong number of items to unpack');
      names.forEach((name, i) => scope.set(name, item[i]));
    };
  } else return refuse(`loop variable ${loopvar.type}`);
  let iterableNode = node.iterable as Node;
  let test: Expr | null = null;
  if (iterableNode.type === 'SelectExpression') {
    test = expression(iterableNode.test as Node);
    iterableNode = iterableNode.lhs as Node;
  }
  const iterable = expression(iterableNode);
  const body = block(nodes(node.body));
  const otherwise = block(nodes(node.defaultBlock));
  return (outer) => {
    const scope = new Scope(outer);
    let source = iterable(scope);
    if (isMapping(source)) source = Object.keys(source);
    else if (!Array.isArray(source)) {
      if (source instanceof KeywordArguments || source instanceof Namespace)
        return unsupported('a loop over keyword arguments or a namespace');
      throw new Error('Expected iterable or object type in for loop');
    }
    let items = source as unknown[];
    if (test) {
      const kept: unknown[] = [];
      for (const item of items) {
        const itemScope = new Scope(scope);
        bind(itemScope, item);
        if (truthy(test(itemScope))) kept.push(item);
      }
      items = kept;
    }
    let out = '';
    let iterated = false;
    const length = items.length;
    for (let i = 0; i < length; i++) {
      scope.set('loop', {
        index: i + 1,
        index0: i,
        revindex: length - i,
        revindex0: length - i - 1,
        first: i === 0,
        last: i === length - 1,
        length,
        previtem: i > 0 ? items[i - 1] : undefined,
        nextitem: i < length - 1 ? items[i + 1] : undefined,
      });
      bind(scope, items[i]);
      try {
        // An iteration's text is kept only when the iteration completes (the interpreter's rule).
        out += body(scope);
      } catch (err) {
        if (err === CONTINUE) continue;
        if (err === BREAK) break;
        throw err;
      }
      iterated = true;
    }
    if (!iterated) out += otherwise(scope);
    return out;
  };
}

/** Whether a subtree names `kwargs` or `varargs`, which the interpreter binds specially in macros. */
function mentionsSpecialArguments(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsSpecialArguments);
  if (value instanceof Map)
    return [...value].some(([k, v]) => mentionsSpecialArguments(k) || mentionsSpecialArguments(v));
  if (typeof value !== 'object' || value === null) return false;
  const node = value as Node;
  if (node.type === 'Identifier' && (node.value === 'kwargs' || node.value === 'varargs')) return true;
  return Object.values(node).some(mentionsSpecialArguments);
}

function macroStatement(node: Node): Block {
  const name = assignedName(node.name as Node);
  if (mentionsSpecialArguments(node.body) || mentionsSpecialArguments(node.args)) refuse('macro kwargs or varargs');
  const parameters = nodes(node.args).map((parameter) => {
    if (parameter.type === 'Identifier') return { name: assignedName(parameter), fallback: null };
    if (parameter.type === 'KeywordArgumentExpression')
      return { name: assignedName(parameter.key as Node), fallback: expression(parameter.value as Node) };
    return refuse(`macro parameter ${parameter.type}`);
  });
  const body = block(nodes(node.body));
  return (scope) => {
    scope.set(
      name,
      new TemplateFunction((args, callerScope) => {
        // The interpreter's macros see the scope they are called from.
        const macroScope = new Scope(callerScope);
        const positional = args.slice();
        const keywords =
          positional.at(-1) instanceof KeywordArguments
            ? new Map((positional.pop() as KeywordArguments).values)
            : new Map<string, unknown>();
        const pending: [string, Expr][] = [];
        parameters.forEach((parameter, i) => {
          let passed = i < positional.length;
          let value = positional[i];
          if (!passed && keywords.has(parameter.name)) {
            passed = true;
            value = keywords.get(parameter.name);
            keywords.delete(parameter.name);
          }
          if (!passed && parameter.fallback) pending.push([parameter.name, parameter.fallback]);
          macroScope.set(parameter.name, passed ? value : undefined);
        });
        if (keywords.size > 0) throw new Error(`macro ${name} takes no keyword argument`);
        if (positional.length > parameters.length) throw new Error(`macro ${name} takes fewer arguments`);
        for (const [parameterName, fallback] of pending) macroScope.set(parameterName, fallback(macroScope));
        return body(macroScope);
      }),
    );
    return '';
  };
}

function expression(node: Node): Expr {
  switch (node.type) {
    case 'StringLiteral':
    case 'IntegerLiteral': {
      const value = node.value;
      return () => value;
    }
    case 'Identifier': {
      const name = node.value as string;
      return (scope) => scope.lookup(name);
    }
    case 'ArrayLiteral': {
      const items = nodes(node.value).map(expression);
      return (scope) => items.map((item) => item(scope));
    }
    case 'TupleLiteral': {
      const items = nodes(node.value).map(expression);
      return (scope) => {
        const tuple = items.map((item) => item(scope));
        tuples.add(tuple);
        return tuple;
      };
    }
    case 'ObjectLiteral':
      return objectLiteral(node);
    case 'MemberExpression':
      return memberExpression(node);
    case 'CallExpression':
      return callExpression(node);
    case 'UnaryExpression': {
      const operator = (node.operator as { value: string }).value;
      const argument = expression(node.argument as Node);
      return (scope) => unary(operator, argument(scope));
    }
    case 'BinaryExpression':
      return binaryExpression(node);
    case 'FilterExpression':
      return filterExpression(node);
    case 'TestExpression': {
      const name = (node.test as Node).value as string;
      const test = Object.hasOwn(TESTS, name) ? TESTS[name] : refuse(`test ${name}`);
      const operand = expression(node.operand as Node);
      const negate = node.negate === true;
      return (scope) => test(operand(scope)) !== negate;
    }
    case 'SelectExpression': {
      const test = expression(node.test as Node);
      const lhs = expression(node.lhs as Node);
      return (scope) => (truthy(test(scope)) ? lhs(scope) : undefined);
    }
    case 'Ternary': {
      const condition = expression(node.condition as Node);
      const whenTrue = expression(node.trueExpr as Node);
      const whenFalse = node.falseExpr ? expression(node.falseExpr as Node) : () => undefined;
      return (scope) => (truthy(condition(scope)) ? whenTrue(scope) : whenFalse(scope));
    }
    default:
      return refuse(`expression ${node.type}`);
  }
}

function objectLiteral(node: Node): Expr {
  const entries = [...(node.value as Map<Node, Node>)].map(([key, value]) => [expression(key), expression(value)]);
  return (scope) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      const name = key(scope);
      if (typeof name !== 'string') throw new Error('Object keys must be strings');
      // Integer-like keys would be reordered by a JavaScript object; `__proto__` is not an own key there.
      if (name === '__proto__' || /^(0|[1-9]\d*)$/.test(name)) return unsupported('this object key');
      out[name] = value(scope);
    }
    return out;
  };
}

function memberExpression(node: Node): Expr {
  const object = expression(node.object as Node);
  const property = node.property as Node;
  if (node.computed) {
    if (property.type === 'SliceExpression') {
      const part = (field: unknown): Expr => (field ? expression(field as Node) : () => undefined);
      const [start, stop, step] = [part(property.start), part(property.stop), part(property.step)];
      return (scope) => slice(object(scope), start(scope), stop(scope), step(scope));
    }
    const key = expression(property);
    return (scope) => {
      const target = object(scope);
      return member(target, key(scope));
    };
  }
  const key = property.type === 'IntegerLiteral' ? property.value : property.value;
  if (typeof key !== 'string' && typeof key !== 'number') return refuse(`member ${property.type}`);
  return (scope) => member(object(scope), key);
}

/** Positional arguments, then keyword arguments as one value passed last (the interpreter's convention). */
function argumentList(args: Node[]): (scope: Scope) => unknown[] {
  const positional: Expr[] = [];
  const keywords: [string, Expr][] = [];
  for (const argument of args) {
    if (argument.type === 'KeywordArgumentExpression')
      keywords.push([(argument.key as Node).value as string, expression(argument.value as Node)]);
    else if (argument.type === 'SpreadExpression' || argument.type === 'KeywordSpreadExpression') refuse(argument.type);
    else positional.push(expression(argument));
  }
  return (scope) => {
    const values = positional.map((value) => value(scope));
    if (keywords.length > 0) {
      const map = new Map<string, unknown>();
      for (const [key, value] of keywords) {
        if (map.has(key)) throw new Error(`Got multiple values for keyword argument '${key}'`);
        map.set(key, value(scope));
      }
      values.push(new KeywordArguments(map));
    }
    return values;
  };
}

function callExpression(node: Node): Expr {
  const args = argumentList(nodes(node.args));
  const callee = expression(node.callee as Node);
  return (scope) => {
    const values = args(scope);
    const fn = callee(scope);
    if (!(fn instanceof TemplateFunction)) throw new Error('Cannot call something that is not a function');
    return fn.call(values, scope);
  };
}

function binaryExpression(node: Node): Expr {
  const operator = (node.operator as { value: string }).value;
  const left = expression(node.left as Node);
  const right = expression(node.right as Node);
  switch (operator) {
    case 'and':
      return (scope) => {
        const l = left(scope);
        return truthy(l) ? right(scope) : l;
      };
    case 'or':
      return (scope) => {
        const l = left(scope);
        return truthy(l) ? l : right(scope);
      };
    case '==':
      return (scope) => looseEquals(left(scope), right(scope));
    case '!=':
      return (scope) => !looseEquals(left(scope), right(scope));
    default:
      return (scope) => binary(operator, left(scope), right(scope));
  }
}

function filterExpression(node: Node): Expr {
  const operand = expression(node.operand as Node);
  const filter = node.filter as Node;
  if (filter.type === 'Identifier') {
    const name = filter.value as string;
    return (scope) => filterByName(name, operand(scope));
  }
  if (filter.type === 'CallExpression' && (filter.callee as Node).type === 'Identifier') {
    const name = (filter.callee as Node).value as string;
    const args = argumentList(nodes(filter.args));
    return (scope) => {
      const value = operand(scope);
      return filterWithArgs(name, value, args(scope));
    };
  }
  return refuse(`filter ${filter.type}`);
}

export { unsupported };
