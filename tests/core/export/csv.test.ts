import { describe, expect, it } from 'vitest'
import { CSV_EOL, csvField, toCsv } from '../../../src/core/export/csv.ts'
import { parseDelimitedText } from '../../../src/core/importers/csv.ts'
import { Rng } from '../../../src/core/random.ts'

describe('csvField', () => {
  it('quotes fields with commas, quotes, CR or LF, doubling embedded quotes', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('She said "no"')).toBe('"She said ""no"""')
    expect(csvField('"')).toBe('""""')
    expect(csvField('line\nbreak')).toBe('"line\nbreak"')
    expect(csvField('cr\rhere')).toBe('"cr\rhere"')
    expect(csvField('  spaces kept  ')).toBe('  spaces kept  ')
    expect(csvField('')).toBe('')
  })

  it('writes numbers in full precision and leaves them alone', () => {
    expect(csvField(1e-7)).toBe('1e-7')
    expect(csvField(-0.5)).toBe('-0.5')
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004')
    expect(csvField(123456789012345680000)).toBe('123456789012345680000')
    expect(csvField(-1e21)).toBe('-1e+21')
    expect(Number(csvField(Math.PI))).toBe(Math.PI)
    expect(csvField(Infinity)).toBe('Infinity')
    expect(csvField(-Infinity)).toBe('-Infinity')
    expect(csvField(2n ** 70n)).toBe('1180591620717411303424')
  })

  it('writes NaN, null and undefined as empty fields; booleans as words', () => {
    expect(csvField(NaN)).toBe('')
    expect(csvField(null)).toBe('')
    expect(csvField(undefined)).toBe('')
    expect(csvField(true)).toBe('true')
    expect(csvField(false)).toBe('false')
  })

  it('defuses spreadsheet formulas in text, but not numbers written as text', () => {
    expect(csvField('=SUM(A1:A9)')).toBe("'=SUM(A1:A9)")
    expect(csvField('+1 555 0100')).toBe("'+1 555 0100")
    expect(csvField('-cmd|calc')).toBe("'-cmd|calc")
    expect(csvField('@import')).toBe("'@import")
    expect(csvField('\tTAB')).toBe("'\tTAB")
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"')
    expect(csvField('=1,2')).toBe(`"'=1,2"`)
    expect(csvField('-0.5')).toBe('-0.5')
    expect(csvField('+3')).toBe('+3')
    expect(csvField('-1e-7')).toBe('-1e-7')
    expect(csvField('a=b')).toBe('a=b')
  })

  it('writes arrays and objects that slip into object rows as JSON text', () => {
    expect(csvField([1, 'a'] as unknown as string)).toBe('"[1,""a""]"')
  })
})

describe('toCsv', () => {
  it('header and rows from arrays, CRLF after every record', () => {
    const csv = toCsv(['id', 'text', 'rho'], [
      ['a', 'It is "wrong", he said', -0.5],
      ['b', 'two\nlines', 1e-7],
      ['c', '=cmd', NaN],
      ['d', null, undefined],
    ])
    expect(csv).toBe(
      'id,text,rho\r\n' +
        'a,"It is ""wrong"", he said",-0.5\r\n' +
        'b,"two\nlines",1e-7\r\n' +
        "c,'=cmd,\r\n" +
        'd,,\r\n',
    )
    expect(CSV_EOL).toBe('\r\n')
  })

  it('rows as objects, by header name, and computed columns', () => {
    type Row = { feature: number; axis: string; rho: number }
    const rows: Row[] = [
      { feature: 3, axis: 'care.vice', rho: 0.61 },
      { feature: 12, axis: 'fairness,virtue', rho: -0.25 },
    ]
    expect(toCsv<Row>(['feature', 'axis'], rows)).toBe('feature,axis\r\n3,care.vice\r\n12,"fairness,virtue"\r\n')
    const csv = toCsv<Row>(
      [
        { header: 'rank', value: (_r, i) => i + 1 },
        { header: '|ρ|', value: (r) => Math.abs(r.rho) },
        { header: 'label "axis"', value: (r) => r.axis },
      ],
      rows,
    )
    expect(csv).toBe('rank,|ρ|,"label ""axis"""\r\n1,0.61,care.vice\r\n2,0.25,"fairness,virtue"\r\n')
  })

  it('an empty table is its header; a BOM can be asked for', () => {
    expect(toCsv(['a', 'b'], [])).toBe('a,b\r\n')
    expect(toCsv(['a'], [[1]], { bom: true })).toBe('\ufeffa\r\n1\r\n')
  })

  it('reads back field for field with the importer’s independent RFC 4180 parser', () => {
    const rng = new Rng(4)
    const alphabet = ['a', 'b', ' ', ',', '"', '\n', 'é', '=', '-', '1', '.', ';']
    const rows = Array.from({ length: 60 }, () =>
      Array.from({ length: 4 }, () => Array.from({ length: rng.int(8) }, () => alphabet[rng.int(alphabet.length)]).join('')),
    )
    const csv = toCsv(['w', 'x', 'y', 'z'], rows)
    const records = parseDelimitedText(csv.replace(/\r\n/g, '\n'), { delimiter: ',' }).map((r) => r.fields)
    expect(records[0]).toEqual(['w', 'x', 'y', 'z'])
    const defused = (s: string) => (/^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? `'${s}` : s)
    expect(records.slice(1)).toEqual(rows.map((r) => r.map(defused)))
  })
})
