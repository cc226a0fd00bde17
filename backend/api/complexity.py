"""How much a document asks for, measured before it runs: its depth, its aliases and its cost.

One validation rule (`create_rule`) walks each operation once, every fragment measured once however often it is
spread (strawberry's depth and alias limiters walk a fragment again at each spread, so a few hundred tokens of
fragments spreading each other twice cost them minutes), and refuses the document with `QUERY_TOO_COMPLEX`:

- **depth**: the nesting of fields below the root fields (a root field is level 0, `max_depth` levels below it
  are allowed), as strawberry's QueryDepthLimiter counts it; introspection fields (`__schema`, `__type`) are not
  counted (GraphiQL's schema query nests deeper), graphql-core's MaxIntrospectionDepthRule bounds those;
- **aliases**: every aliased field, inside fragments too, counted once per spread;
- **cost**: every field costs 1 each time it may be resolved. A field with a `first` argument (a page) is resolved
  for up to `first` items: its selection's cost is multiplied by `first` as written, by the argument's default
  when it is left out, and by the page size limit when it is a variable (the cost of a document does not depend on
  its variables, so its validation is kept with it). The `edges` of a page are the page's items (not multiplied
  again); any other list field is taken to hold `LIST_SIZE` items. The fields of inline fragments and fragments
  on several types are all counted (an upper bound).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from backend.domain.errors import QueryTooComplex

#: The items a list field without a `first` argument is taken to hold (a duty list, a campaign's targets).
LIST_SIZE = 10
#: The argument that sizes a page, and the field of a page that holds its items.
SLICING_ARGUMENT = "first"
SIZED_FIELD = "edges"
CODE = QueryTooComplex.code


@dataclass(frozen=True)
class Limits:
    """What a document may ask for; `page_size` is what a `first: $variable` is taken to be."""

    max_depth: int = 10
    max_aliases: int = 30
    max_cost: int = 50_000
    page_size: int = 200


@dataclass
class Measure:
    """A selection set's measure: its deepest nesting below it, its aliases and its cost (for one parent)."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def add(self, other: Measure) -> None:
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.cost += other.cost


@dataclass
class Measurer:
    """Measures selection sets against a schema; each fragment once (its measure does not depend on where it is
    spread), a fragment that spreads itself (refused by graphql-core's NoFragmentCyclesRule) as nothing."""

    context: ValidationContext
    limits: Limits
    fragments: dict[str, FragmentDefinitionNode]
    measured: dict[str, Measure] = field(default_factory=dict)
    measuring: set[str] = field(default_factory=set)

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None,
                   sized: int | None = None) -> Measure:
        total = Measure()
        if selection_set is None:
            return total
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total.add(self.field(selection, parent, sized))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.context.schema.get_type(condition.name.value) if condition else parent
                total.add(self.selections(selection.selection_set, inner, sized))
            elif isinstance(selection, FragmentSpreadNode):
                total.add(self.fragment(selection.name.value, sized))
        return total

    def fragment(self, name: str, sized: int | None) -> Measure:
        key = f"{name}/{sized}"  # a fragment on a page spread inside its `edges`, or elsewhere
        if key in self.measured:
            return self.measured[key]
        definition = self.fragments.get(name)
        if definition is None or key in self.measuring:
            return Measure()
        self.measuring.add(key)
        measure = self.selections(definition.selection_set,
                                  self.context.schema.get_type(definition.type_condition.name.value), sized)
        self.measuring.discard(key)
        self.measured[key] = measure
        return measure

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, sized: int | None) -> Measure:
        name = node.name.value
        definition = (parent.fields.get(name) if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType))
                      else None)
        aliases = 1 if node.alias else 0
        if name.startswith("__"):  # introspection: bounded by MaxIntrospectionDepthRule, not measured here
            return Measure(0, aliases + self.selections(node.selection_set, None).aliases, 0)
        if definition is None:  # an unknown field: FieldsOnCorrectTypeRule says so
            return Measure(0, aliases, 1)
        page = self.page(node, definition.args) if SLICING_ARGUMENT in definition.args else None
        many = is_list_type(get_nullable_type(definition.type))
        if page is not None:
            items = page  # the page's own `edges` are its items, not multiplied again
        elif many and name == SIZED_FIELD and sized is not None:
            items = 1
        else:
            items = LIST_SIZE if many and node.selection_set is not None else 1
        inner = self.selections(node.selection_set, get_named_type(definition.type), page)
        depth = inner.depth + 1 if node.selection_set is not None else 0
        return Measure(depth, aliases + inner.aliases, 1 + items * inner.cost)

    def page(self, node: FieldNode, arguments: dict[str, object]) -> int:
        """The items a paged field may return: its `first` as written, its default, or the page size limit."""
        given = next((a.value for a in node.arguments or () if a.name.value == SLICING_ARGUMENT), None)
        if isinstance(given, IntValueNode):
            value = int(given.value)
        elif given is None:
            default = getattr(arguments[SLICING_ARGUMENT], "default_value", None)
            value = default if isinstance(default, int) else self.limits.page_size
        else:  # a variable (or a value the argument's type refuses: ValuesOfCorrectTypeRule says so)
            value = self.limits.page_size
        return max(0, min(value, 10 * self.limits.page_size))


def measure(context: ValidationContext, limits: Limits, operation: OperationDefinitionNode,
            fragments: dict[str, FragmentDefinitionNode]) -> Measure:
    root = {OperationType.QUERY: context.schema.query_type, OperationType.MUTATION: context.schema.mutation_type,
            OperationType.SUBSCRIPTION: context.schema.subscription_type}[operation.operation]
    return Measurer(context, limits, fragments).selections(operation.selection_set, root)


def create_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule that refuses a document over `limits` (one error per limit, with code QUERY_TOO_COMPLEX)."""

    class ComplexityRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
            operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
            total = Measure()
            for operation in operations:
                total.add(measure(context, limits, operation, fragments))
            over = [(total.depth, limits.max_depth, "depth"), (total.aliases, limits.max_aliases, "aliases"),
                    (total.cost, limits.max_cost, "cost")]
            for found, allowed, what in over:
                if found > allowed:
                    context.report_error(GraphQLError(
                        f"the document's {what} is {found}; at most {allowed} is allowed",
                        extensions={"code": CODE, "limit": what, "found": found, "allowed": allowed}))

    return ComplexityRule


__all__ = ["CODE", "LIST_SIZE", "Limits", "Measure", "create_rule"]
