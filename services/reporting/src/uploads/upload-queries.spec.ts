import { residentIdCheckChar } from '@realname/domain-rules';
import { withoutIdNumbers } from './upload-queries';

const ID = '33010619900101201' + residentIdCheckChar('33010619900101201');

describe('texts of the platform in an answer', () => {
  it('have a resident ID number they quote masked', () => {
    expect(withoutIdNumbers(`身份证号${ID}已存在`)).toBe(`身份证号3301**********${ID.slice(-4)}已存在`);
    expect(withoutIdNumbers(`idCardNumber ${ID.toLowerCase()} exists`)).not.toContain(ID.slice(0, 10));
  });

  it('keep project codes and other long numbers that are no ID numbers', () => {
    expect(withoutIdNumbers('projectCode 330106202401150001 unknown')).toBe(
      'projectCode 330106202401150001 unknown',
    );
    expect(withoutIdNumbers(`serial A${ID}`)).toBe(`serial A${ID}`);
  });
});
