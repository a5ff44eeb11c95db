import { describe, expect, it } from 'vitest'
import { JsonRecordParser, parseJsonText, type JsonRecord } from '../../../src/core/importers/json.ts'

function parseEveryWay(text: string): JsonRecord[] {
  const ref = parseJsonText(text, 'f.json')
  for (let c = 0; c <= text.length; c++) {
    const p = new JsonRecordParser('f.json')
    const out: JsonRecord[] = []
    p.push(text.slice(0, c), out)
    p.push(text.slice(c), out)
    p.finish(out)
    expect(out, `cut at ${c}`).toEqual(ref)
  }
  const p = new JsonRecordParser('f.json')
  const out: JsonRecord[] = []
  for (const ch of text) p.push(ch, out)
  p.finish(out)
  expect(out).toEqual(ref)
  return ref
}

describe('JSON Lines', () => {
  it('reads one object per line, skips blank lines and reports bad lines with their numbers', () => {
    const rs = parseEveryWay('{"a": 1}\n\n{"a": 2, "b": "x}"}\n{"a": \n[1]\n42\n{"c": null}')
    expect(rs.map((r) => r.line)).toEqual([1, 3, 4, 5, 6, 7])
    expect(rs[0].value).toEqual({ a: 1 })
    expect(rs[1].value).toEqual({ a: 2, b: 'x}' })
    expect(rs[2].error?.got).toMatch(/^invalid JSON/)
    expect(rs[3].error).toEqual({ expected: 'a JSON object on each line (JSON Lines)', got: 'an array' })
    expect(rs[4].error?.got).toBe('the number 42')
    expect(rs[5].value).toEqual({ c: null })
  })

  it('refuses a pretty-printed single object with a clear message', () => {
    expect(() => parseJsonText('{\n  "claim": "x"\n}\n', 'claims.json')).toThrow(
      'claims.json line 1: expected JSON Lines (one object per line) or a JSON array of objects, got a pretty-printed JSON object',
    )
  })
})

describe('JSON arrays', () => {
  it('streams elements with the line each starts on, through nested values and tricky strings', () => {
    const text = '\n[\n  {"claim": "a ] } [ { \\" b", "n": [1, {"x": 2}]},\n  {"claim": "c"}\n  ,{"claim":\n "d"}\n]\n'
    const rs = parseEveryWay(text)
    expect(rs).toEqual([
      { line: 3, value: { claim: 'a ] } [ { " b', n: [1, { x: 2 }] } },
      { line: 4, value: { claim: 'c' } },
      { line: 5, value: { claim: 'd' } },
    ])
  })

  it('reports primitives, missing commas, a trailing comma, an unclosed array and trailing text', () => {
    expect(parseEveryWay('[1, {"a": 1}]').map((r) => r.error?.got ?? r.value)).toEqual(['the number 1', { a: 1 }])
    expect(parseEveryWay('[{"a": 1} {"a": 2}]')).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 1, error: { expected: '"," or "]" between array elements', got: "'{'" } },
      { line: 1, value: { a: 2 } },
    ])
    expect(parseEveryWay('[{"a": 1},\n]')[1]).toEqual({ line: 2, error: { expected: 'a value after ","', got: ']' } })
    expect(parseEveryWay('[{"a": 1},\n{"a": 2}\n').at(-1)).toEqual({
      line: 3,
      error: { expected: 'the closing ] of the JSON array', got: 'the end of the file' },
    })
    expect(parseEveryWay('[{"a": 1}] x').at(-1)).toEqual({
      line: 1,
      error: { expected: 'nothing after the closing ] of the JSON array', got: "'x'" },
    })
    expect(parseEveryWay('[{"a": 1}, {"b": ').at(-2)).toEqual({
      line: 1,
      error: { expected: 'a complete JSON value', got: 'the end of the file' },
    })
  })

  it('reports an element that is not valid JSON and goes on', () => {
    const rs = parseEveryWay('[{"a": 1,}, {"a": 2}]')
    expect(rs[0].error?.expected).toBe('a JSON object as each array element')
    expect(rs[1].value).toEqual({ a: 2 })
  })
})
