import { describe, expect, it } from 'vitest'
import { parseTexts } from '../../src/cli/texts.ts'
import { parseArgs, renderHelp } from '../../src/cli/args.ts'
import { parseHookList } from '../../src/cli/commands/capture.ts'

describe('texts files', () => {
  it('plain text: one text per line, any line ending, blank lines and a BOM skipped', () => {
    expect(parseTexts('\uFEFFa b\r\nc\rd\n\n  \ne\n', 't.txt')).toEqual({ texts: ['a b', 'c', 'd', 'e'], format: 'lines' })
  })

  it('JSONL: a "text" field per line, ids kept, a stimulus-set header skipped', () => {
    const content = ['{"moral_lens_stimuli":1,"id":"x"}', '{"id":1,"text":"a"}', '', '{"id":"b","text":"b c"}'].join('\n')
    expect(parseTexts(content, 'set.jsonl')).toEqual({ texts: ['a', 'b c'], ids: ['1', 'b'], format: 'jsonl' })
    expect(parseTexts('"just a string"\n', 's.jsonl').texts).toEqual(['just a string'])
  })

  it('JSON: an array of strings or objects, or {"texts": [...]}', () => {
    expect(parseTexts('["a", {"text": "b"}]', 'x.json').texts).toEqual(['a', 'b'])
    expect(parseTexts('{"texts": ["a"]}', 'x.json').texts).toEqual(['a'])
  })

  it('names the file, line or element and what was expected', () => {
    expect(() => parseTexts('{"text":"a"}\n{"txt":"b"}\n', 'bad.jsonl')).toThrow('bad.jsonl: line 2: expected a "text" field holding a string')
    expect(() => parseTexts('{"text":"a"}\nnot json\n', 'bad.jsonl')).toThrow(/bad\.jsonl: line 2 is not valid JSON/)
    expect(() => parseTexts('{"a": 1}', 'bad.json')).toThrow('bad.json: expected a JSON array of texts')
    expect(() => parseTexts('[1]', 'bad.json')).toThrow('bad.json: element 0: expected a string or an object with a "text" field, got number')
    expect(() => parseTexts('["a", " "]', 'bad.json')).toThrow('bad.json: text 2 is empty')
    expect(() => parseTexts('\n\n', 'empty.txt')).toThrow(/empty\.txt has no texts/)
  })
})

describe('arguments', () => {
  const spec = {
    positionals: [{ name: 'dir', description: 'd' }],
    options: { out: { type: 'string' as const, value: '<file>', description: 'o' }, fast: { type: 'boolean' as const, description: 'f' } },
  }

  it('parses --name value, --name=value, flags and positionals in any order', () => {
    const a = parseArgs(['--out=x.st', 'm', '--fast'], spec, 'c')
    expect(a.positionals).toEqual(['m'])
    expect(a.strings).toEqual({ out: 'x.st' })
    expect([...a.flags]).toEqual(['fast'])
    expect(parseArgs(['m', '--out', 'y'], spec, 'c').strings.out).toBe('y')
    expect(parseArgs(['--', '--odd-dir'], spec, 'c').positionals).toEqual(['--odd-dir'])
    expect(parseArgs(['--help'], spec, 'c').help).toBe(true)
  })

  it('refuses what it does not know, naming it', () => {
    expect(() => parseArgs(['m', '--out'], spec, 'c')).toThrow('--out needs a value (<file>)')
    expect(() => parseArgs(['m', '--out', '--fast'], spec, 'c')).toThrow('--out needs a value')
    expect(() => parseArgs(['m', '--fats'], spec, 'c')).toThrow('unknown option --fats for "c" (did you mean --fast?)')
    expect(() => parseArgs(['m', 'n'], spec, 'c')).toThrow('unexpected argument "n" for "c"')
    expect(() => parseArgs([], spec, 'c')).toThrow('"c" needs <dir>')
    expect(() => parseArgs(['m', '--fast=1'], spec, 'c')).toThrow('--fast takes no value')
    expect(() => parseArgs(['m', '--out', 'a', '--out', 'b'], spec, 'c')).toThrow('--out was given twice')
  })

  it('renders help from the same spec', () => {
    const text = renderHelp({ usage: 'tool c <dir>', description: 'Does c.', spec })
    expect(text).toMatch(/^Usage: tool c <dir>\n\nDoes c\.\n\nArguments:\n {2}<dir> +d\n\nOptions:\n {2}--out <file> +o\n {2}--fast +f\n {2}--help/)
  })

  it('hook lists: kinds or hook names, comma-separated', () => {
    expect(parseHookList('resid_post, blocks.3.hook_resid_mid')).toEqual(['resid_post', 'blocks.3.hook_resid_mid'])
    expect(() => parseHookList('blocks.x.hook_resid_mid')).toThrow(/unknown hook "blocks\.x\.hook_resid_mid"/)
    expect(() => parseHookList(',')).toThrow('--hooks is empty')
  })
})
