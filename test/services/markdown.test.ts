import { expect } from 'chai';
import { renderMarkdown } from '../../app/services/markdown.ts';

describe('Markdown written by tenants', () => {
  it('renders headings, emphasis, lists and links', () => {
    const html = renderMarkdown(
      '## Services\n\n**Sunday** 10:00\n\n- Youth\n- Choir\n\n[Map](https://example.org/map)',
    );
    expect(html).to.include('<h2>Services</h2>');
    expect(html).to.include('<strong>Sunday</strong>');
    expect(html).to.include('<li>Youth</li>');
    expect(html).to.include('href="https://example.org/map"');
    expect(html).to.include('rel="nofollow noopener"');
  });

  it('drops scripts, event handlers, styles and javascript: links', () => {
    const html = renderMarkdown(
      '<script>alert(1)</script><img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a> <p style="color:red">hi</p>',
    );
    expect(html).not.to.match(/<script|onerror|javascript:|style=|<img/i);
  });
});
