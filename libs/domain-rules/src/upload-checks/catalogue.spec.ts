import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE, fillTemplate, placeholdersOf, type UploadProblemCode } from './catalogue';
import { MESSAGE_PATTERNS } from './platform';

const entries = Object.entries(CATALOGUE) as [
  UploadProblemCode,
  { detail?: { zh: string; en: string }; general: { zh: string; en: string } },
][];
const source = (file: string) => readFileSync(join(__dirname, file), 'utf8');

describe('the message catalogue', () => {
  it.each(entries)('Given %s, when read, then every template has both languages', (_, entry) => {
    for (const t of [entry.detail, entry.general].filter((x) => x !== undefined)) {
      expect(t.zh.trim()).not.toBe('');
      expect(t.en.trim()).not.toBe('');
      // Chinese text in the zh template, none in the en one (names come in as parameters).
      expect(t.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(t.en.replace(/“[^”]*”/g, '')).not.toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it.each(entries)('Given %s, when read, then both languages take the same parameters', (_, entry) => {
    for (const t of [entry.detail, entry.general].filter((x) => x !== undefined)) {
      expect(placeholdersOf(t.zh).sort()).toEqual(placeholdersOf(t.en).sort());
    }
  });

  it.each(entries)(
    'Given %s, when read, then each is one sentence: what is wrong, then what to do',
    (_, entry) => {
      for (const t of [entry.detail, entry.general].filter((x) => x !== undefined)) {
        expect(t.zh).toMatch(/^[^。]+。$/);
        expect(t.zh).toContain('：');
        expect(t.en).toMatch(/^[^\n]+\.$/);
        expect(t.en).toContain(': ');
      }
    },
  );

  it('Given the local checks and the platform patterns, when searched, then every code is raised somewhere', () => {
    const local = source('checks.ts') + source('field-rules.ts');
    const platform = source('platform.ts');
    const fromPatterns = new Set(MESSAGE_PATTERNS.map(([, code]) => code));
    const unused = entries
      .filter(([code, entry]) =>
        entry.detail ? !local.includes(`'${code}'`) : !platform.includes(`'${code}'`),
      )
      .map(([code]) => code);
    expect(unused).toEqual([]);
    // Every code the patterns give is a catalogue code (the type says so; this guards casts).
    for (const code of fromPatterns) expect(CATALOGUE).toHaveProperty([code]);
  });

  it('Given a missing parameter, when filled, then it is a programming error', () => {
    expect(() => fillTemplate('{who} 没有头像', {}, 'zh')).toThrow(RangeError);
    expect(fillTemplate('{who}: {x}', { who: '张三', x: { zh: '甲', en: 'A' } }, 'en')).toBe('张三: A');
  });
});
