// YAML output that every reader reads back as the same strings. js-yaml's
// DEFAULT_SCHEMA quotes what YAML 1.2 would read as another type; YAML 1.1
// readers (PyYAML, Ruby's Psych, Go's yaml.v2) also take `0.1_3` for 0.13 and
// `1_000` for 1000 (underscores in numbers), `60:00` for 3600 (base 60),
// `y`/`off` for booleans. Their resolvers (PyYAML resolver.py) are added as
// implicit types here, so js-yaml quotes such strings when dumping.
import yaml from 'js-yaml';

const YAML11_PLAIN = [
  // bool (PyYAML) and yaml.v2's y/n
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  // float
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  // int: binary, octal, decimal, hex, base 60
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  // yaml.v2 parses numbers after dropping underscores (strconv), e.g. 1_0e3
  /^[-+]?[0-9_]*\.?[0-9_]+[eE][-+]?[0-9]+$/,
  // null, merge key, value key
  /^(?:~|null|Null|NULL|<<|=)$/,
];

const yaml11 = new yaml.Type('tag:yaml.org,2002:yaml11-plain', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && YAML11_PLAIN.some((re) => re.test(data)),
  construct: (data: string) => data,
});

const DUMP_SCHEMA = yaml.DEFAULT_SCHEMA.extend({ implicit: [yaml11] });

/** YAML text of `doc`: keys in insertion order, no line wrapping, no anchors, strings quoted where any common reader would not read them as strings. */
export function dumpYaml(doc: unknown): string {
  return yaml.dump(doc, { schema: DUMP_SCHEMA, lineWidth: -1, noRefs: true, sortKeys: false });
}
