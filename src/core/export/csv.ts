// CSV export following RFC 4180, for the panels' "Download CSV" buttons.
//
// - Records end with CRLF (RFC 4180 §2.1), the last one included; the first record is the header.
// - A field is quoted when it holds a comma, a double quote, CR or LF; quotes inside are doubled.
// - Numbers are written in full precision (the shortest text that reads back to the same double,
//   e.g. 1e-7, -0.5, 0.30000000000000004); NaN, null and undefined are empty fields; ±Infinity are
//   written "Infinity" / "-Infinity". Booleans are "true" / "false".
// - Formula injection: a text field that starts with = + - @ (or a tab or CR) would be run as a
//   formula by spreadsheet programs, so it gets a leading single quote ('=SUM(A1) stays text). Text
//   that is a plain decimal number ("-0.5", "+3") is left alone, as are number values.
//
// Panels should use this instead of hand-written CSV (JSON.stringify does not quote CSV correctly:
// it escapes an embedded quote as \" where CSV needs "").

export type CsvValue = string | number | boolean | bigint | null | undefined

/** A column: its header and how to read its value from a row. */
export interface CsvColumn<R> {
  header: string
  value: (row: R, index: number) => CsvValue
}

export interface CsvOptions {
  /** Start with a UTF-8 byte-order mark, which Excel needs to read non-ASCII text right (default false). */
  bom?: boolean
}

export const CSV_EOL = '\r\n'

const NEEDS_QUOTES = /[",\r\n]/
const FORMULA_START = /^[=+\-@\t\r]/
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** One field, escaped and quoted as needed. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return ''
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  // Object rows may hold other things at runtime; arrays and objects are written as JSON text.
  let s = typeof value === 'string' ? value : JSON.stringify(value)
  if (FORMULA_START.test(s) && !DECIMAL.test(s)) s = `'${s}`
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * A CSV document. Columns are either headers or { header, value }:
 * - string columns with array rows read values by position (`toCsv(['a', 'b'], [[1, 2]])`);
 * - string columns with object rows read the property of that name (`toCsv(['a'], [{ a: 1 }])`);
 * - { header, value } columns compute each value from the row.
 */
export function toCsv<R>(columns: readonly (string | CsvColumn<R>)[], rows: readonly R[], options: CsvOptions = {}): string {
  const lines = [columns.map((c) => csvField(typeof c === 'string' ? c : c.header)).join(',')]
  rows.forEach((row, i) => {
    const cells = columns.map((c, j) => {
      if (typeof c !== 'string') return csvField(c.value(row, i))
      const v = Array.isArray(row) ? row[j] : (row as Record<string, unknown>)[c]
      return csvField(v as CsvValue)
    })
    lines.push(cells.join(','))
  })
  return (options.bom ? '\ufeff' : '') + lines.join(CSV_EOL) + CSV_EOL
}
