import type { SelectorContext } from '../src/types';
import { OX, RL, X, ctx, rl, xcapError } from './engine-support';
import { deleteNode, getNode } from '../src/engine';

const del = (doc: string, sel: string, c: SelectorContext = rl) =>
  deleteNode(X(doc), sel, c).bytes.toString('utf8');

describe('DELETE of elements (checks 20, 21)', () => {
  test('in the middle: the URI would select the next sibling, so cannot-delete', () => {
    for (const sel of [
      'resource-lists/list[@name="friends"]/entry[2]',
      'resource-lists/list[@name="friends"]/*[3]',
    ]) {
      const e = xcapError(() => deleteNode(X(OX), sel, rl));
      expect(e.status).toBe(409);
      expect(e.detail.condition).toBe('cannot-delete');
    }
  });

  test('from the end, leaving the whitespace as it was', () => {
    let doc = OX;
    doc = del(doc, 'resource-lists/list[@name="friends"]/*[4]');
    expect(doc).toBe(OX.replace(/<external [^>]*\/>/, ''));
    doc = del(doc, 'resource-lists/list[@name="friends"]/*[3]');
    doc = del(doc, 'resource-lists/list[@name="friends"]/*[2]');
    doc = del(doc, 'resource-lists/list[@name="friends"]/entry');
    expect(doc).toBe(`<?xml version="1.0" encoding="UTF-8"?>
   <resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
     <list name="friends">
      
      
      
      
     </list>
   </resource-lists>`);
    const e = xcapError(() =>
      deleteNode(X(doc), 'resource-lists/list[@name="friends"]/entry[@uri="sip:joe@example.com"]', rl),
    );
    expect(e.status).toBe(404);
  });

  test('*[2] of two: 200, then GET is 404', () => {
    const doc = `<resource-lists xmlns="${RL}"><list><entry uri="a"/><entry uri="b"/></list></resource-lists>`;
    const after = del(doc, 'resource-lists/list/*[2]');
    expect(after).toBe(`<resource-lists xmlns="${RL}"><list><entry uri="a"/></list></resource-lists>`);
    expect(xcapError(() => getNode(X(after), 'resource-lists/list/*[2]', rl)).status).toBe(404);
  });

  test('pre:list[1] with a later list, and *[5][@name="fake"] with a later fake: cannot-delete', () => {
    const doc = `<resource-lists xmlns="${RL}"><list name="a"/><list name="b"/></resource-lists>`;
    const e = xcapError(() => deleteNode(X(doc), 'pre:resource-lists/pre:list[1]', ctx(RL, { pre: RL })));
    expect(e.detail.condition).toBe('cannot-delete');
    const six = `<resource-lists xmlns="${RL}"><list name="1"/><list name="2"/><list name="3"/><list name="4"/><list name="fake"/><list name="fake"/></resource-lists>`;
    expect(
      xcapError(() => deleteNode(X(six), 'resource-lists/*[5][@name="fake"]', rl)).detail.condition,
    ).toBe('cannot-delete');
    // the last one can go
    expect(del(six, 'resource-lists/*[6][@name="fake"]')).toBe(
      six.replace('<list name="fake"/></resource-lists>', '</resource-lists>'),
    );
  });

  test('by attribute in the middle is fine: the URI selects nothing afterwards', () => {
    const doc = `<resource-lists xmlns="${RL}">\n<list name="a"/>\n<list name="b"/>\n<list name="c"/>\n</resource-lists>`;
    expect(del(doc, 'resource-lists/list[@name="b"]')).toBe(
      `<resource-lists xmlns="${RL}">\n<list name="a"/>\n\n<list name="c"/>\n</resource-lists>`,
    );
  });

  test('the document element cannot be deleted as an element', () => {
    expect(xcapError(() => deleteNode(X(OX), 'resource-lists', rl)).detail.condition).toBe('cannot-delete');
  });

  test('bad selectors are 400 before anything else', () => {
    expect(xcapError(() => deleteNode(X(OX), 'resource-lists/list[', rl)).status).toBe(400);
  });
});

describe('DELETE of attributes (check 33)', () => {
  test('@name: 200, then 404', () => {
    const after = del(OX, 'resource-lists/list[@name="friends"]/@name');
    expect(after).toBe(OX.replace('<list name="friends">', '<list>'));
    expect(
      xcapError(() => deleteNode(X(after), 'resource-lists/list[@name="friends"]/@name', rl)).status,
    ).toBe(404);
  });

  test('the whitespace in front of the attribute goes with it', () => {
    const doc = `<resource-lists xmlns="${RL}"><list\n   name="a"\n   x:id='1' xmlns:x="urn:x"\n   other="z" /></resource-lists>`;
    const c = ctx(RL, { x: 'urn:x' });
    expect(del(doc, 'resource-lists/list/@x:id', c)).toBe(
      `<resource-lists xmlns="${RL}"><list\n   name="a" xmlns:x="urn:x"\n   other="z" /></resource-lists>`,
    );
    expect(del(doc, 'resource-lists/list/@name', c)).toBe(
      `<resource-lists xmlns="${RL}"><list\n   x:id='1' xmlns:x="urn:x"\n   other="z" /></resource-lists>`,
    );
    expect(del(doc, 'resource-lists/list/@other', c)).toBe(
      `<resource-lists xmlns="${RL}"><list\n   name="a"\n   x:id='1' xmlns:x="urn:x" /></resource-lists>`,
    );
  });

  test('missing attribute or element: 404', () => {
    expect(
      xcapError(() => deleteNode(X(OX), 'resource-lists/list[@name="other"]/@some-attribute', rl)).status,
    ).toBe(404);
    expect(xcapError(() => deleteNode(X(OX), 'resource-lists/list/@some-attribute', rl)).status).toBe(404);
  });
});
