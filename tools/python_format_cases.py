#!/usr/bin/env python3
"""Prints the case tables of Tests/JVPScriptTests/PythonFormatTests.swift from CPython itself.

Run with Python 3.11 (the version jvplab matches) and paste the output between the `// BEGIN GENERATED` and
`// END GENERATED` markers of that file:  python3 tools/python_format_cases.py
"""
import math
import struct
import sys


class Other:
    """An object formatted through object.__format__, shown to Swift as .other(str:repr:typeName:)."""

    def __init__(self, value):
        self.value = value


def swift_string(s):
    out = []
    for ch in s:
        if ch in '\\"':
            out.append('\\' + ch)
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\r':
            out.append('\\r')
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or (ord(ch) > 0x7F and not ch.isprintable()):
            out.append('\\u{%x}' % ord(ch))
        else:
            out.append(ch)
    return '"' + ''.join(out) + '"'


def swift_value(v):
    if isinstance(v, Other):
        o = v.value
        return '.other(str: %s, repr: %s, typeName: %s)' % (
            swift_string(str(o)), swift_string(repr(o)), swift_string(type(o).__name__))
    if isinstance(v, bool):
        return '.bool(%s)' % ('true' if v else 'false')
    if isinstance(v, int):
        return '.int(%d)' % v
    if isinstance(v, float):
        if math.isnan(v):
            return '.float(.nan)'
        if math.isinf(v):
            return '.float(%s.infinity)' % ('-' if v < 0 else '')
        if v != 0 and abs(v) < sys.float_info.min:  # Swift warns on subnormal literals; name them by bit pattern
            return '.float(Double(bitPattern: 0x%016x))' % struct.unpack('<Q', struct.pack('<d', v))[0]
        return '.float(%r)' % v
    return '.string(%s)' % swift_string(v)


def python_value(v):
    return v.value if isinstance(v, Other) else v


def outcome(f):
    try:
        return '.text(%s)' % swift_string(f())
    except Exception as e:  # the error CPython raises is the expected value
        return '.error(%s, %s)' % (swift_string(type(e).__name__), swift_string(str(e)))


LIST = Other([1, 'é'])
NONE = Other(None)

FORMAT_GROUPS = [
    ('Empty spec: str() of each kind', [
        (0.1, ''), (1e-05, ''), (1e16, ''), (1e15, ''), (9999999999999998.0, ''), (-0.0, ''), (float('inf'), ''),
        (float('-inf'), ''), (float('nan'), ''), (5e-324, ''), (1.7976931348623157e308, ''), (2.0 ** 60, ''),
        (123456789, ''), (True, ''), (False, ''), ('text', ''), (LIST, ''), (NONE, ''),
    ]),
    ('Floats: fixed, exponent, general, percent', [
        (3.14159, '.4f'), (2.5, '.0f'), (3.5, '.0f'), (0.125, '.2f'), (1.005, '.2f'), (-0.001, '.2f'), (1e300, '.2f'),
        (1234.5, 'f'), (12345.678, '.2e'), (0.0, 'e'), (1e-300, '.3E'), (5e-324, '.3e'), (123.456, 'g'),
        (1e-05, 'g'), (0.0001, 'g'), (1e16, 'g'), (123456789.0, 'g'), (123456.0, 'g'), (1234567.0, 'g'),
        (0.5, '.0g'), (100.0, '.2g'), (1.0, '#g'), (0.0001, '#.3g'), (1e20, 'G'), (float('nan'), 'F'),
        (float('-inf'), 'E'), (0.256, '%'), (0.256, '.1%'), (-1.0, '.0%'), (float('inf'), '%'),
        (1.0, '.3'), (1.0, '.0'), (1e20, '.3'), (123.0, '.2'), (0.1, '.17'), (1.5, '#'), (1e16, '#'),
        (12345.6789, 'n'), (1e20, 'n'),
    ]),
    ('Floats: sign, z, width, fill, alignment, grouping', [
        (3.5, '+'), (3.5, ' .2f'), (-3.5, '+.1f'), (float('nan'), '+'), (-0.0, 'z'), (-0.0001, 'z.2f'),
        (-0.0001, '.2f'), (-1e-9, 'z.3e'), (-0.4, 'z.0f'), (3.14159, '10.3f'), (3.14159, '<10.3f'),
        (3.14159, '^10.3f'), (-3.14159, '=10.3f'), (-3.14159, '010.3f'), (-3.14159, '*^+12.2f'),
        (float('inf'), '010'), (float('-inf'), '010'), (1234567.891, ',.2f'), (1234567.891, '_.3f'),
        (1234567.891, '015,.2f'), (1234.5, '08,.1f'), (-1e10, ',e'), (1e21, ','), (0.5, '€^9'),
    ]),
    ('Ints: presentation types and alternate form', [
        (255, 'b'), (255, 'o'), (255, 'x'), (255, 'X'), (-255, '#x'), (255, '#X'), (5, '#b'), (8, '#o'),
        (0, '#x'), (42, 'd'), (42, '#d'), (1234567, 'n'), (65, 'c'), (0x1F642, 'c'), (233, '^5c'),
        (7, 'e'), (7, '.2f'), (1, '%'), (2 ** 100, 'g'), (-(2 ** 70), 'e'), (True, 'd'), (True, '>5'),
        (False, 'x'), (True, '.1f'),
    ]),
    ('Ints: sign, width, fill, zero padding, alignment', [
        (42, '+'), (42, ' '), (-42, ' '), (42, '-'), (42, '5'), (42, '<5'), (42, '^6'), (-42, '=6'), (-42, '06'),
        (42, '*>+8'), (-255, '#010x'), (255, '0=+#8b'), (42, '🙂^7'), (42, '>05'), (42, '<05'), (-7, '0'),
        (123, '02'),
    ]),
    ('Ints: grouping, also of padding zeros and of wide ints', [
        (1234567, ','), (-1234567, '_'), (1234, '08,'), (1234, '09,'), (123, '07,'), (1, '010_'), (0, ',d'),
        (2 ** 126, ','), (-(2 ** 126), '_d'), (-(2 ** 126) + 1, ','), (170141183460469231731687303715884105727, ','),
        (0xDEADBEEF, '_x'), (0xDEADBEEF, '#_X'), (255, '_b'), (0o7777, '_o'), (0xDEADBEEF, '#012_x'),
        (1234567, '+015,'), (1234567, '>15,'),
    ]),
    ('Strings: width, fill, alignment, precision', [
        ('ab', '5'), ('ab', '>5'), ('ab', '^5'), ('ab', '^6'), ('ab', '*<5'), ('ab', '05'), ('abc', '.2'),
        ('abc', '^7.2'), ('abc', '.0'), ('naïve', '8'), ('日本語', '>6'), ('🙂', '=>3'), ('x', '🙂^5'),
        ('ab', 's'), ('abc', '1'), ('', '3'),
    ]),
    ('Errors: the messages CPython raises', [
        (1.5, 'd'), (1.5, 'x'), (1.5, 'c'), (1, 's'), (True, 's'), ('ab', 'd'), ('ab', 'f'), (LIST, 'd'),
        (LIST, '>5'), (NONE, '^3'), (Other(range(3)), 's'), (1, '.2'), (1, '.2x'), (1, 'z'), (1, 'zd'),
        (65, '+c'), (65, '#c'), (-1, 'c'), (0x110000, 'c'), (2 ** 100, 'c'), (65, ',c'), (1, ',n'), (1.5, ',n'),
        (1, '_c'), (1, ',x'), (1, ',_'), (1, '_,'), (1, ',,'), ('ab', ','), ('ab', '+'), ('ab', ' '), ('ab', '-'),
        ('ab', 'z'), ('ab', '#'), ('ab', '='), ('ab', '=5'), (1.0, '.'), (1.0, '.2.3'), (1.5, 'abc'), (1, 'x,'),
        (1.0, '10.2fx'), (1, 'q'), (1, '\x01'), (1.5, 'é'), (1, '99999999999999999999'),
    ]),
]

PERCENT_GROUPS = [
    ('Conversions', [
        ('%s', ('text',)), ('%r', ('it\'s',)), ('%a', ('café',)), ('%s', (1.0,)), ('%r', (LIST,)), ('%s', (True,)),
        ('%d', (42,)), ('%i', (-42,)), ('%u', (7,)), ('%d', (3.99,)), ('%d', (-3.99,)), ('%d', (1e20,)),
        ('%d', (True,)), ('%o', (8,)), ('%x', (255,)), ('%X', (-255,)), ('%e', (12345.678,)), ('%E', (0.0,)),
        ('%f', (1.5,)), ('%F', (float('inf'),)), ('%g', (1e-05,)), ('%G', (1e20,)), ('%f', (3,)), ('%g', (1.0,)),
        ('%c', (65,)), ('%c', ('é',)), ('%%', ()), ('100%% of %s', ('it',)), ('%s', (2 ** 100,)),
    ]),
    ('Flags, width, precision, *', [
        ('%5d', (42,)), ('%-5d|', (42,)), ('%05d', (-42,)), ('%+d', (42,)), ('% d', (42,)), ('%+05d', (42,)),
        ('%-05d|', (3,)), ('%#o', (8,)), ('%#x', (255,)), ('%#X', (255,)), ('%#08x', (255,)), ('%#-8x|', (255,)),
        ('%+#o', (8,)), ('%.3d', (5,)), ('%.3x', (-5,)), ('%#.4x', (10,)), ('%8.3f', (3.14159,)),
        ('%-8.2e|', (1234.5,)), ('%+.0f', (2.5,)), ('%#.0f', (2.0,)), ('%#g', (1.0,)), ('%010.2f', (-3.14159,)),
        ('%.2s', ('abcdef',)), ('%5.1s|', ('abc',)), ('%05s', ('a',)), ('% 5s', ('a',)), ('%5c', (65,)),
        ('%.0c', (65,)), ('%*d', (6, 42)), ('%-*d|', (6, 42)), ('%*d|', (-6, 42)), ('%.*f', (2, 3.14159)),
        ('%.*f', (-3, 1.5)), ('%*.*f', (8, 2, 3.14159)), ('%ld %hd %Lf', (1, 2, 0.5)), ('%s and %s', (1, 2)),
    ]),
    ('Mappings', [
        ('%(a)s-%(b)05.1f', {'a': 'x', 'b': 2.25}), ('%(x(y))s', {'x(y)': 1}), ('%(a)s %s', {'a': 1}),
        ('%s', {'a': 1}), ('no fields', {'a': 1}), ('%(b)s', {'a': 1}),
    ]),
    ('Errors', [
        ('%s %s', (1,)), ('%s', (1, 2)), ('abc', (1,)), ('%d', ('x',)), ('%i', (LIST,)), ('%x', (1.5,)),
        ('%o', ('x',)), ('%f', ('x',)), ('%e', (NONE,)), ('%c', (1.5,)), ('%c', ('ab',)), ('%c', (-1,)),
        ('%c', (0x110000,)), ('%d', (float('inf'),)), ('%d', (float('nan'),)), ('%*d', ('a', 1)),
        ('%.*f', (1.5, 1.0)), ('%q', (1,)), ('%é', (1,)), ('%5%', (1,)), ('%5%', ()), ('%', ()), ('abc %', (1,)),
        ('%-', (1,)), ('%.', (1,)), ('%(a)s', (1,)), ('%(a', {'a': 1}), ('%(a)', {'a': 1}),
        ('%*d', (2 ** 70, 1)), ('%.*f', (2 ** 40, 1.0)),
    ]),
]

CONVERSIONS = [
    ('text', 'r'), ("it's", 'r'), ('say "hi"', 'r'), ('both \' and "', 'r'), ('tab\tnew\nline\r', 'r'),
    ('\x00\x1b\x7f', 'r'), ('back\\slash', 'r'), ('café 日本 🙂', 'r'), ('\u200b\u00a0\u2028\ue000', 'r'),
    ('café 日本 🙂', 'a'), (LIST, 'a'), (LIST, 's'), (1.0, 'r'), (True, 's'), (2 ** 100, 'a'), ('x', 'q'),
]

# Templates rendered with these positional arguments; each field names an index, as tests' helper supports.
TEMPLATE_ARGS = [3.14159, 10, 3, 'ab', 42]
TEMPLATES = [
    ('Fields, escapes, numbering', [
        'plain', '{{}} and {{{}}}', '{} {} {}', '{2} {0} {2}', '{3!r} {3!r:>6}', '{3!a}', '{:.2f}|{:^6}|{:x}',
        '{0:}', '{!s:}', '{}}}{{', 'é{}é',
    ]),
    ('Nested specs', [
        '{0:{1}.{2}f}', '{:{}.{}f}', '{:{}.{}f} {}', '{3:*^{1}}', '{4:{1}}', '{0:{{}}}', '{:{}.{}}',
    ]),
    ('Errors', [
        '{', '}', 'a{b', 'a}b', '{0', '{0!', '{0!r', '{0!rx}', '{0!x}', '{[}', '{0[0}', '{ {}', '{} {0}', '{0} {}',
        '{:{:{}}}', '{0:{', '{:{}', '{2:s}',
    ]),
]


def main():
    w = sys.stdout.write
    w('  static let format: [FormatCase] = [\n')
    for title, cases in FORMAT_GROUPS:
        w('    // %s\n' % title)
        for value, spec in cases:
            result = outcome(lambda: format(python_value(value), spec))
            w('    FormatCase(%s, %s, %s),\n' % (swift_value(value), swift_string(spec), result))
    w('  ]\n\n  static let percent: [PercentCase] = [\n')
    for title, cases in PERCENT_GROUPS:
        w('    // %s\n' % title)
        for template, args in cases:
            right = tuple(python_value(a) for a in args) if isinstance(args, tuple) else args
            result = outcome(lambda: template % right)
            if isinstance(args, dict):
                entries = ', '.join('%s: %s' % (swift_string(k), swift_value(v)) for k, v in args.items())
                w('    PercentCase(%s, [%s], mapping: [%s], %s),\n' % (
                    swift_string(template), swift_value(Other(args)), entries, result))
            else:
                items = ', '.join(swift_value(a) for a in args)
                w('    PercentCase(%s, [%s], %s),\n' % (swift_string(template), items, result))
    w('  ]\n\n  static let conversions: [ConversionCase] = [\n')
    for value, conversion in CONVERSIONS:
        function = {'r': repr, 's': str, 'a': ascii}.get(conversion)
        result = outcome(lambda: function(python_value(value))) if function else outcome(
            lambda: ('{!%s}' % conversion).format(python_value(value)))
        w('    ConversionCase(%s, "%s", %s),\n' % (swift_value(value), conversion, result))
    w('  ]\n\n  /// The positional arguments `templates` are rendered with.\n')
    w('  static let templateArguments: [FormatArgument] = [%s]\n\n' % ', '.join(swift_value(a) for a in TEMPLATE_ARGS))
    w('  static let templates: [TemplateCase] = [\n')
    for title, cases in TEMPLATES:
        w('    // %s\n' % title)
        for template in cases:
            w('    TemplateCase(%s, %s),\n' % (swift_string(template), outcome(lambda: template.format(*TEMPLATE_ARGS))))
    w('  ]\n')


main()
